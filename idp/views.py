"""The provider's pages and endpoints: sign-in (`idp.login`, /connexion), sign-out
(`idp.logout`, /deconnexion), and the OpenID Connect endpoints. Each view parses
the request, calls Authlib (idp.provider) or a service, and renders or redirects."""

from __future__ import annotations

import json
from typing import NamedTuple
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError
from authlib.oidc.core.errors import LoginRequiredError
from flask import Blueprint
from flask import Response
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from accounts.authentication import Next
from accounts.authentication import authenticate
from accounts.models import AccountState
from accounts.sessions import LiveLogin
from accounts.sessions import LoginSession
from idp import consents
from idp import logout as logout_service
from idp import provider
from idp.claims import CLAIMS_SUPPORTED
from idp.claims import SCOPES
from idp.claims import Subject
from idp.forms import ConfirmForm
from idp.forms import LoginForm
from idp.web_session import begin_pending
from idp.web_session import current_live_login
from idp.web_session import current_login
from idp.web_session import safe_next
from idp.web_session import sign_in
from kernel.clock import paris_today
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import csrf
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.runtime import passwords
from kernel.runtime import settings
from kernel.web import add_json_endpoints

bp = Blueprint("idp", __name__, template_folder="templates")
# The endpoints programs call: a malformed request gets a JSON error, not a page.
bp.record_once(
    lambda state: add_json_endpoints(
        state.app, "idp.token", "idp.revoke", "idp.introspect", "idp.userinfo"
    )
)

PENDING_STEPS = {
    Next.ACTIVATE: ("activation", "enrollment.activate"),
    Next.CHANGE_PASSWORD: ("change_password", "enrollment.choose_password"),
    Next.CONFIRM_EMAIL: ("awaiting_email", "enrollment.awaiting_email"),
}


def _after_sign_in_default() -> str:
    return url_for("account.home")


# -- home and help ---------------------------------------------------------------
@bp.get("/")
def home():
    """The service's address leads to the parent's account (or its sign-in page)."""
    return redirect(url_for("account.home"))


@bp.get("/aide")
def help_page():
    """The parents' help (seed 003), linked from every page's footer and every email."""
    return render_template("idp/help.html")


# -- sign-in and sign-out ----------------------------------------------------------
# One budget of sign-in posts per client address, whether the form is posted to
# /connexion or straight to the authorization request.
sign_in_limit = limiter.shared_limit(
    lambda: settings().oidc.login_rate_limit,
    scope="sign-in",
    methods=["POST"],
    exempt_when=lambda: "password" not in request.form,
)


@bp.route("/connexion", methods=["GET", "POST"])
@sign_in_limit
def login():
    next_url = request.values.get("next")
    target = safe_next(next_url, _after_sign_in_default())
    if request.method == "GET" and current_login() is not None and not request.args.get("reauth"):
        return redirect(target)
    form = LoginForm(identifier=request.args.get("login_hint") or None)
    attempt = _password_sign_in(form, next_url)
    if attempt.login is not None:
        db.session.commit()
        return redirect(target)
    if attempt.step is not None:
        return attempt.step
    action = url_for("idp.login", next=next_url) if next_url else url_for("idp.login")
    return _sign_in_page(form, error=attempt.error, next_url=next_url, action=action)


class SignInAttempt(NamedTuple):
    """What a posted sign-in form led to: a new session (the caller commits), the
    French refusal to show, or the journey a temporary password leads to. All None
    when nothing valid was posted (the form shows its own field errors)."""

    login: LoginSession | None = None
    error: str | None = None
    step: Response | None = None


def _password_sign_in(form: LoginForm, next_url: str | None) -> SignInAttempt:
    if not form.validate_on_submit():
        return SignInAttempt()
    now = utcnow()
    try:
        result = authenticate(
            form.identifier.data,
            form.password.data,
            now=now,
            passwords=passwords(),
            rules=settings().accounts,
            today=paris_today(now),
        )
    except DomainError as refusal:
        db.session.commit()  # the failure counts towards throttling
        return SignInAttempt(error=refusal.message)
    if result.next == Next.SIGNED_IN:
        return SignInAttempt(login=sign_in(result.account, now=now, amr=["pwd"], acr="eidas1"))
    purpose, endpoint = PENDING_STEPS[result.next]
    begin_pending(purpose, result.account, now=now, next=next_url)
    db.session.commit()
    return SignInAttempt(step=redirect(url_for(endpoint)))


def _sign_in_page(form: LoginForm, *, error: str | None, next_url: str | None, action: str):
    status = 200 if error is None and not form.errors else 400
    return render_template(
        "idp/login.html", form=form, error=error, next_url=next_url, action=action
    ), status


@bp.get("/session")
def signed_in():
    login = current_login()
    if login is None:
        return redirect(url_for("idp.login"))
    return render_template("idp/signed_in.html", account=login.account, form=ConfirmForm())


@bp.route("/deconnexion", methods=["GET", "POST"])
@csrf.exempt
def logout():
    """Sign-out, and the RP-Initiated Logout endpoint (`end_session_endpoint`)."""
    try:
        end_request = provider.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("idp/oidc_error.html", error=error), 400
    if end_request.needs_confirmation and (request.method == "GET" or not _csrf_ok()):
        return render_template(
            "idp/confirm_logout.html", form=ConfirmForm(), client=end_request.client
        )
    response = provider.server.create_endpoint_response("end_session", end_request)
    db.session.commit()
    logout_service.dispatch_pending()
    # A session opened through FranceConnect ends there too (SPEC §6.4), then
    # comes back to the service's post_logout_redirect_uri or our own page.
    upstream = logout_service.after_sign_out(
        g.pop("ended_login", None), then=end_request.redirect_uri
    )
    if upstream is not None:
        return upstream
    if response is not None:
        return response
    return render_template("idp/logged_out.html")


def _csrf_ok() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return False
    return True


# -- OpenID Connect endpoints -----------------------------------------------------------
@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt
@sign_in_limit
def authorize():
    """The authorization endpoint. Without a usable session it shows the sign-in form,
    which posts back here: a correct password answers the service with its code at
    once (no detour through /connexion)."""
    now = utcnow()
    if request.method == "GET":
        provider.statements_commit_alone()
    live = current_live_login()
    login = live if live is not None and live.account_state == AccountState.ACTIVATED else None
    subject = _subject(login) if login is not None else None
    try:
        grant = provider.server.get_consent_grant(end_user=subject)
    except OAuth2Error as error:
        return _authorization_error(error)
    state = request.values.get("state")
    prompts = (request.values.get("prompt") or "").split()
    signed_in_here = request.method == "POST" and "password" in request.form
    if signed_in_here:
        back = _authorization_url(reauth=live is not None)
        form = LoginForm()
        attempt = _password_sign_in(form, back)
        if attempt.step is not None:
            return attempt.step
        if attempt.login is None:
            return _sign_in_page(form, error=attempt.error, next_url=back, action=back)
        db.session.flush()  # committed with the code below
        login = LiveLogin.of(attempt.login, AccountState.ACTIVATED)
        subject = _subject(login)
    elif subject is None or "login" in prompts or _too_old(login, now):
        if "none" in prompts:
            return _authorization_error(
                LoginRequiredError(redirect_uri=grant.redirect_uri, state=state)
            )
        # A session whose account is no longer Activé signs in again too (no loop).
        back = _authorization_url(reauth=live is not None)
        form = LoginForm(identifier=request.values.get("login_hint") or None)
        return _sign_in_page(form, error=None, next_url=back, action=back)
    client = grant.client
    subject.client = client
    scope = grant.request.scope
    if not client.trusted and (
        "consent" in prompts or not consents.covers(login.account_id, client, scope)
    ):
        if "none" in prompts:
            return _authorization_error(
                ConsentRequiredError(redirect_uri=grant.redirect_uri, state=state)
            )
        decision = request.form.get("decision") if request.method == "POST" else None
        if decision is None or not _csrf_ok():
            db.session.commit()  # a sign-in just posted here
            scopes = [SCOPES[s] for s in scope.split() if s in SCOPES]
            return render_template(
                "idp/consent.html",
                client=client,
                scopes=scopes,
                form=ConfirmForm(),
                action=request.full_path,
            )
        if decision != "allow":
            return provider.server.create_authorization_response(grant=grant, grant_user=None)
        consents.record(login.account_id, client, scope, now=now)
    response = provider.server.create_authorization_response(grant=grant, grant_user=subject)
    db.session.commit()  # the code (and a sign-in just posted here): one transaction
    return response


def _subject(login: LiveLogin) -> Subject:
    return Subject(
        account_id=login.account_id,
        client=None,
        login_session_id=login.id,
        claims_request=_claims_parameter(),
        login=login,
    )


def _too_old(login: LiveLogin, now) -> bool:
    """OIDC Core §3.1.2.1 `max_age`: the last authentication is older than asked."""
    max_age = _int(request.values.get("max_age"))
    return max_age is not None and (now - login.auth_time).total_seconds() > max_age


def _authorization_url(*, reauth: bool) -> str:
    """This authorization request as a GET URL to come back to after a step elsewhere
    (FranceConnect, activation…), without `prompt=login` (no loop) nor, after a
    re-authentication, `max_age`."""
    args = request.args.to_dict(flat=True)
    if request.method == "POST":
        args.update({k: v for k, v in request.form.items() if k not in NOT_AUTHORIZATION_FIELDS})
    prompts = [p for p in (args.pop("prompt", "") or "").split() if p != "login"]
    if prompts:
        args["prompt"] = " ".join(prompts)
    if reauth:
        args.pop("max_age", None)
    return url_for("idp.authorize") + "?" + urlencode(args)


NOT_AUTHORIZATION_FIELDS = ("csrf_token", "decision", "identifier", "password")


def _authorization_error(error: OAuth2Error):
    """RFC 6749 §4.1.2.1: errors go back to the client only when the client and its
    redirect URI are known and valid; otherwise the parent sees an error page."""
    if getattr(error, "redirect_uri", None):
        response = provider.server.handle_error_response(None, error)
        provider.Issuer().add_issuer_parameter(provider.server, response)
        return response
    return render_template("idp/oidc_error.html", error=error), 400


def _claims_parameter() -> dict | None:
    """OIDC Core §5.5 `claims`: honoured when well-formed, ignored otherwise."""
    raw = request.values.get("claims")
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


# Machine endpoints carry no guessable secret (client secrets and tokens are 256-bit
# random values; a wrong one gets the OAuth error), so Flask-Limiter's per-request
# bookkeeping is skipped for them; the sign-in form keeps its limit.
@bp.post("/token")
@csrf.exempt
@limiter.exempt
def token():
    response = provider.server.create_token_response()
    db.session.commit()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
@limiter.exempt
def userinfo():
    provider.statements_commit_alone()
    return provider.server.create_endpoint_response("userinfo")


@bp.post("/revoke")
@csrf.exempt
@limiter.exempt
def revoke():
    return provider.server.create_endpoint_response("revocation")


@bp.post("/introspect")
@csrf.exempt
@limiter.exempt
def introspect():
    return provider.server.create_endpoint_response("introspection")


@bp.get("/jwks.json")
@limiter.exempt
def jwks():
    response = jsonify(provider.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/.well-known/openid-configuration")
@limiter.exempt
def discovery():
    response = jsonify(provider_metadata())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def provider_metadata() -> dict:
    """OpenID Connect Discovery 1.0 §3, RFC 8414, RFC 9207, Back-Channel Logout §2.1."""
    base = provider.issuer()
    algs = sorted({key["alg"] for key in provider.public_jwks()["keys"]}) or ["RS256"]
    auth_methods = provider.ALL_AUTH_METHODS
    return {
        "issuer": base,
        "authorization_endpoint": base + "/authorize",
        "token_endpoint": base + "/token",
        "userinfo_endpoint": base + "/userinfo",
        "jwks_uri": base + "/jwks.json",
        "end_session_endpoint": base + "/deconnexion",
        "revocation_endpoint": base + "/revoke",
        "introspection_endpoint": base + "/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": provider.CONFIDENTIAL_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "acr_values_supported": ["eidas1"],
        "ui_locales_supported": ["fr"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
