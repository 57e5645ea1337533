"""The passkey pages: the parent's list (add, rename, remove) under /compte, and the
sign-in with a passkey under /connexion. The options a ceremony needs are JSON
fetched by passkeys.js (CSRF token in a header); everything else is a form post
that answers with a page, like the rest of the service."""

from __future__ import annotations

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import session
from flask import url_for
from flask_babel import gettext as _

from idp import web_session
from idp.forms import LoginForm
from idp.sign_in_form import PASSWORD_ACR
from idp.sign_in_form import sign_in_page
from idp.web_session import login_required
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.extensions import limiter
from kernel.runtime import settings
from passkeys import bp
from passkeys import registration
from passkeys import sign_in as passkey_sign_in
from passkeys.forms import AddPasskeyForm
from passkeys.forms import ConfirmForm
from passkeys.forms import PasskeySignInForm
from passkeys.forms import RenamePasskeyForm
from passkeys.relying_party import RelyingParty

REGISTER_KEY = "passkey_register"
SIGN_IN_KEY = "passkey_sign_in"
# Each options request writes a challenge row: enough for a parent retrying, not for a flood.
OPTIONS_LIMIT = "30 per minute"
CHANGE_LIMIT = "30 per hour"


@bp.app_template_global("passkeys_of")
def passkeys_of(account):
    """The account page's section lists them (passkeys/_account_section.html)."""
    return registration.passkeys_of(account)


def relying_party() -> RelyingParty:
    return RelyingParty.of(settings().public_url, settings().product.name)


def _json(options: str):
    return current_app.response_class(options, mimetype="application/json")


# -- the parent's passkeys ------------------------------------------------------------
@bp.get("/compte/cles-d-acces")
@login_required
def manage():
    account = web_session.current_account()
    return _manage_page(account, AddPasskeyForm())


def _manage_page(account, form: AddPasskeyForm, error: str | None = None, status: int = 200):
    return render_template(
        "passkeys/manage.html",
        passkeys=registration.passkeys_of(account),
        form=form,
        error=error,
        remove_form=ConfirmForm(),
    ), status


@bp.post("/compte/cles-d-acces/options")
@login_required
@limiter.limit(OPTIONS_LIMIT)
def registration_options():
    account = web_session.current_account()
    try:
        challenge_id, options = registration.begin(account, now=utcnow(), rp=relying_party())
    except DomainError as refusal:
        return {"error": str(refusal.message)}, 400
    db.session.commit()
    session[REGISTER_KEY] = challenge_id
    return _json(options)


@bp.post("/compte/cles-d-acces")
@login_required
@limiter.limit(CHANGE_LIMIT)
def add():
    account = web_session.current_account()
    form = AddPasskeyForm()
    if not form.validate_on_submit():
        error = str(form.credential.errors[0]) if form.credential.errors else None
        return _manage_page(account, form, error=error, status=400)
    try:
        passkey = registration.finish(
            account,
            session.pop(REGISTER_KEY, None),
            form.credential.data,
            form.name.data,
            now=utcnow(),
            rp=relying_party(),
        )
    except DomainError as refusal:
        db.session.commit()  # the challenge is spent: a response is tried once
        return _manage_page(account, form, error=str(refusal.message), status=400)
    db.session.commit()
    flash(_("La clé d'accès « %(name)s » est enregistrée.", name=passkey.name), "success")
    return redirect(url_for(".manage"))


@bp.route("/compte/cles-d-acces/<int:passkey_id>/renommer", methods=["GET", "POST"])
@login_required
@limiter.limit(CHANGE_LIMIT, methods=["POST"])
def rename(passkey_id: int):
    account = web_session.current_account()
    passkey = _own_or_404(account, passkey_id)
    form = RenamePasskeyForm(name=passkey.name)
    if form.validate_on_submit():
        registration.rename(account, passkey_id, form.name.data, now=utcnow())
        db.session.commit()
        flash(_("La clé d'accès s'appelle désormais « %(name)s ».", name=passkey.name), "success")
        return redirect(url_for(".manage"))
    status = 400 if form.errors else 200
    return render_template("passkeys/rename.html", form=form, passkey=passkey), status


@bp.post("/compte/cles-d-acces/<int:passkey_id>/supprimer")
@login_required
@limiter.limit(CHANGE_LIMIT)
def remove(passkey_id: int):
    account = web_session.current_account()
    _own_or_404(account, passkey_id)
    if ConfirmForm().validate_on_submit():
        passkey = registration.remove(account, passkey_id, now=utcnow())
        db.session.commit()
        flash(_("La clé d'accès « %(name)s » est supprimée.", name=passkey.name), "success")
    return redirect(url_for(".manage"))


def _own_or_404(account, passkey_id: int):
    try:
        return registration.own_passkey(account, passkey_id)
    except registration.PasskeyNotFound:
        abort(404)


# -- signing in with a passkey -----------------------------------------------------------
@bp.post("/connexion/cle-d-acces/options")
@limiter.limit(OPTIONS_LIMIT)
def sign_in_options():
    challenge_id, options = passkey_sign_in.begin(now=utcnow(), rp=relying_party())
    db.session.commit()
    session[SIGN_IN_KEY] = challenge_id
    return _json(options)


@bp.post("/connexion/cle-d-acces")
@limiter.limit(lambda: settings().oidc.login_rate_limit, scope="passkey-sign-in")
def sign_in():
    """The browser's signed challenge: a session as a password opens (the same
    `acr`, `amr` saying how), then where the sign-in page was going (a service's
    authorization request comes back with its code)."""
    form = PasskeySignInForm()
    next_url = form.next.data or None
    if not form.validate_on_submit():
        return _refused(next_url, _first_error(form))
    now = utcnow()
    try:
        signed_in = passkey_sign_in.finish(
            session.pop(SIGN_IN_KEY, None), form.credential.data, now=now, rp=relying_party()
        )
    except DomainError as refusal:
        db.session.commit()  # the challenge spent, a cloned key's audit row kept
        return _refused(next_url, str(refusal.message))
    web_session.sign_in(signed_in.account, now=now, amr=passkey_sign_in.AMR, acr=PASSWORD_ACR)
    db.session.commit()
    return redirect(web_session.safe_next(next_url, url_for("account.home")))


def _refused(next_url: str | None, message: str):
    """The sign-in page again with the refusal (400), its password form untouched."""
    action = url_for("idp.login", next=next_url) if next_url else url_for("idp.login")
    return sign_in_page(LoginForm(formdata=None), error=message, next_url=next_url, action=action)


def _first_error(form: PasskeySignInForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("La connexion avec une clé d'accès n'a pas abouti. Veuillez réessayer.")
