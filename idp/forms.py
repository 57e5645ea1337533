"""Forms of the sign-in pages (Flask-WTF, CSRF), French labels and messages."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import validate_csrf
from wtforms import PasswordField
from wtforms import StringField
from wtforms import ValidationError
from wtforms.validators import DataRequired
from wtforms.validators import Length

from accounts.models import IDENTIFIER_MAX_LENGTH


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Identifiant"),
        validators=[
            DataRequired(_l("Saisissez votre identifiant.")),
            Length(max=IDENTIFIER_MAX_LENGTH),
        ],
        # "webauthn": the browser may offer its passkeys in the field's suggestions
        # (conditional mediation) when a sign-in section asks for them.
        render_kw={
            "autocomplete": "username webauthn",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Saisissez votre mot de passe.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (consent, sign-out confirmation)."""


def confirmed() -> bool:
    """A `ConfirmForm` was posted with a valid CSRF token. Checked by hand: the
    endpoints that show it (authorization, sign-out) are exempt from the global check:
    services may send parents to them with a form of their own (OIDC allows POST)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return False
    return True
