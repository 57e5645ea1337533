"""FranceConnect pages (SPEC §6.4): the button's target, the callback, the linking
steps (mobile, SMS code, children's birth dates) and unlinking (sign-out:
`federation.logout`). Thin: each view parses a form, calls `federation.services` or the
upstream client, and maps a domain error to a French page.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _

from accounts import claiming
from accounts.sms_codes import CodeWrongOrExpired
from accounts.sms_delivery import send_sms_code
from federation import bp
from federation import forms
from federation import services
from federation.client import FranceConnectClient
from federation.client import FranceConnectError
from federation.client import FranceConnectIdentity
from federation.client import InvalidResponse
from federation.client import ProviderRefused
from federation.client import ProviderUnavailable
from federation.client import StaleRequest
from idp import web_session
from kernel import runtime
from kernel import security_events
from kernel.clock import utcnow
from kernel.contact import mask_mobile
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter

log = logging.getLogger(__name__)

REQUEST_KEY = "fc_request"  # state, nonce, next: between the button and the callback
LINKING_KEY = "fc_linking"  # the FranceConnect identity being linked, and its progress
REQUEST_LIFETIME = dt.timedelta(minutes=10)
LINKING_LIFETIME = dt.timedelta(minutes=30)


def franceconnect() -> FranceConnectClient:
    """The upstream client of this application (its discovery and JWKS cache)."""
    cache = current_app.extensions.setdefault("guichet.franceconnect_cache", {})
    return FranceConnectClient(runtime.settings(), cache)


@bp.app_template_global("franceconnect_links")
def franceconnect_links(account) -> list:
    """For the account page's block (`federation/_account_links.html`)."""
    return services.links_of(account) if account is not None else []


def _after_sign_in(account) -> str:
    """Where a signed-in parent lands without `next`: their account page."""
    return url_for("account.home")


# -- sign-in ---------------------------------------------------------------------------


@bp.get("/connexion")
@limiter.limit("30 per minute")
def login():
    """The «S'identifier avec FranceConnect» button: off to FranceConnect."""
    now = utcnow()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    try:
        url = franceconnect().authorization_url(state=state, nonce=nonce)
    except FranceConnectError as error:
        return _failure(error)
    session[REQUEST_KEY] = {
        "state": state,
        "nonce": nonce,
        "next": request.args.get("next") or "",
        "expires": (now + REQUEST_LIFETIME).isoformat(),
    }
    return redirect(url)


@bp.get("/retour")
@limiter.limit(
    "30 per minute",
    on_breach=lambda _limit: security_events.sign_in("franceconnect", "throttled"),
)
def callback():
    """FranceConnect sends the browser back here with a code (or an error)."""
    now = utcnow()
    pending = session.pop(REQUEST_KEY, None)  # one use: a replayed callback finds nothing
    try:
        if (
            not pending
            or not same_text(request.args.get("state", ""), pending["state"])
            or now > dt.datetime.fromisoformat(pending["expires"])
        ):
            raise StaleRequest(reason="state missing, mismatched or expired")
        issuer = request.args.get("iss")
        if issuer is not None and issuer != runtime.settings().franceconnect.issuer:
            # RFC 9207 §2.4: an answer naming another issuer is a mix-up attack.
            raise InvalidResponse(reason=f"authorization response from {issuer!r}")
        if request.args.get("error"):
            raise ProviderRefused(reason=request.args.get("error"))
        code = request.args.get("code")
        if not code:
            raise StaleRequest(reason="no code")
        identity = franceconnect().sign_in(code=code, nonce=pending["nonce"])
    except FranceConnectError as error:
        return _failure(error)
    account = services.account_for(identity.sub, now=now)
    if account is not None:
        web_session.sign_in(
            account, now=now, amr=["fc"], acr=identity.acr, upstream_id_token=identity.id_token
        )
        db.session.commit()
        security_events.sign_in("franceconnect", "success", account_id=account.id)
        return redirect(web_session.safe_next(pending["next"], _after_sign_in(account)))
    db.session.commit()
    session[LINKING_KEY] = {
        "identity": identity.to_dict(),
        "next": pending["next"],
        "expires": (now + LINKING_LIFETIME).isoformat(),
    }
    return redirect(url_for("federation.link_mobile"))


def same_text(received: str, expected: str) -> bool:
    """Constant-time comparison that accepts any text a browser sends."""
    return secrets.compare_digest(received.encode(), expected.encode())


def _failure(error: FranceConnectError):
    log.warning("FranceConnect sign-in stopped: %s %s", error.code, error.context)
    security_events.sign_in("franceconnect", "failure")
    status = 502 if isinstance(error, ProviderUnavailable) else 400
    return render_template(
        "federation/error.html",
        message=error.message,
        password_url=url_for("idp.login"),
    ), status


# -- first sign-in: linking ----------------------------------------------------------


def _linking(now: dt.datetime) -> tuple[FranceConnectIdentity, dict] | None:
    data = session.get(LINKING_KEY)
    if not data or now > dt.datetime.fromisoformat(data["expires"]):
        session.pop(LINKING_KEY, None)
        return None
    return FranceConnectIdentity.from_dict(data["identity"]), data


def _linking_expired():
    flash(
        _(
            "Votre connexion FranceConnect a expiré avant la fin de la liaison de votre compte. "
            "Veuillez recommencer."
        ),
        "warning",
    )
    return redirect(url_for("idp.login"))


@bp.route("/liaison", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def link_mobile():
    now = utcnow()
    current = _linking(now)
    if current is None:
        return _linking_expired()
    identity, data = current
    form = forms.MobileForm()
    if form.validate_on_submit():
        settings = runtime.settings()
        challenge = send_sms_code(
            form.mobile,
            lambda: services.send_code(
                identity,
                form.mobile.data,
                now=now,
                secret=settings.secret_key,
                validity=dt.timedelta(minutes=settings.accounts.sms_code_validity_minutes),
                product_name=settings.product.name,
            ),
            now=now,
        )
        if challenge is not None:
            data.update(challenge=challenge.id, mobile=challenge.mobile, verified=False)
            session[LINKING_KEY] = data
            return redirect(url_for("federation.link_code"))
    return render_template("federation/link_mobile.html", form=form, identity=identity)


@bp.route("/liaison/code", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def link_code():
    now = utcnow()
    current = _linking(now)
    if current is None:
        return _linking_expired()
    identity, data = current
    if not data.get("challenge"):
        return redirect(url_for("federation.link_mobile"))
    form = forms.CodeForm()
    failed = None
    if form.validate_on_submit():
        try:
            mobile = services.verify_code(
                identity,
                data["challenge"],
                form.code.data,
                now=now,
                secret=runtime.settings().secret_key,
            )
        except CodeWrongOrExpired as error:
            db.session.commit()  # a wrong code ends the code (003)
            failed = error.message
            data.pop("challenge", None)
            session[LINKING_KEY] = data
        else:
            db.session.commit()
            data.update(mobile=mobile, verified=True)
            data.pop("challenge", None)
            session[LINKING_KEY] = data
            return redirect(url_for("federation.link_children"))
    return render_template(
        "federation/link_code.html",
        form=form,
        failed=failed,
        masked=_mask(data.get("mobile", "")),
    )


@bp.route("/liaison/enfants", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def link_children():
    now = utcnow()
    current = _linking(now)
    if current is None:
        return _linking_expired()
    identity, data = current
    if not data.get("verified"):
        return redirect(url_for("federation.link_mobile"))
    accounts = services.matching_accounts(identity, data["mobile"])
    rows = services.children_to_confirm(accounts)
    keyed = [(f"{child.account.id}_{child.pupil.id}", child.account, child.pupil) for child in rows]
    form = forms.children_form(
        [(key, f"{pupil.first_name} {pupil.last_name}") for key, _a, pupil in keyed]
    )()
    error = None
    if not rows:
        error = claiming.NoChildConfirmed.message
    elif form.validate_on_submit():
        answers = {
            pupil.id: claiming.Answer(
                birth_date=form[f"birth_{key}"].data,
                not_mine=bool(form[f"not_mine_{key}"].data),
            )
            for key, _account, pupil in keyed
        }
        try:
            account = services.link(
                identity,
                data["mobile"],
                answers,
                now=now,
                terms_version=runtime.settings().accounts.terms_version,
            )
        except DomainError as err:
            db.session.commit()  # failed birth dates count; «pas mon enfant» reports stay
            error = err.message
        else:
            next_target = data.get("next")
            web_session.sign_in(
                account,
                now=now,
                amr=["fc"],
                acr=identity.acr,
                upstream_id_token=identity.id_token,
            )
            db.session.commit()
            security_events.sign_in("franceconnect", "success", account_id=account.id)
            flash(
                _(
                    "Votre compte est lié à FranceConnect : vous pourrez désormais vous "
                    "connecter directement avec FranceConnect. "
                    "Votre identifiant est %(identifier)s.",
                    identifier=account.identifier,
                ),
                "success",
            )
            return redirect(web_session.safe_next(next_target, _after_sign_in(account)))
    return render_template(
        "federation/link_children.html",
        form=form,
        keyed=keyed,
        error=error,
        identity=identity,
    )


def _mask(mobile: str) -> str:
    return mask_mobile(mobile) if mobile else ""


# -- account page: unlink --------------------------------------------------------------


@bp.post("/liens/<int:link_id>/supprimer")
def unlink(link_id: int):
    account = web_session.current_account()
    if account is None:
        # Back to the account page after signing in (a POST cannot be replayed by `next`).
        home = url_for("account.home")
        return redirect(url_for("idp.login", next=home))
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        removed = services.unlink(account, link_id, now=utcnow())
        db.session.commit()
        if removed is not None:
            flash(
                _(
                    "La liaison avec FranceConnect a été supprimée. Pour vous connecter, utilisez "
                    "votre identifiant et votre mot de passe, ou liez à nouveau votre compte "
                    "avec FranceConnect."
                ),
                "success",
            )
    return redirect(url_for("account.home"))
