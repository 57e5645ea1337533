"""Forms of the passkey pages (Flask-WTF, CSRF), French labels and messages. The
`credential` field carries the browser's response, filled by passkeys.js."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from passkeys.models import NAME_MAX_LENGTH

# A browser's response is a few kilobytes at most (an RSA key, an attestation).
CREDENTIAL_MAX_LENGTH = 64 * 1024

NO_CREDENTIAL = _l(
    "Votre navigateur n'a pas transmis de clé d'accès : les clés d'accès ont besoin de "
    "JavaScript et d'un navigateur récent."
)


class AddPasskeyForm(FlaskForm):
    name = StringField(
        _l("Nom de la clé d'accès"),
        description=_l("Facultatif, pour la reconnaître, par exemple « Téléphone de Karima »."),
        validators=[Length(max=NAME_MAX_LENGTH, message=_l("60 caractères au plus."))],
    )
    credential = HiddenField(
        validators=[DataRequired(NO_CREDENTIAL), Length(max=CREDENTIAL_MAX_LENGTH)]
    )


class RenamePasskeyForm(FlaskForm):
    name = StringField(
        _l("Nouveau nom de la clé d'accès"),
        validators=[
            DataRequired(_l("Saisissez un nom.")),
            Length(max=NAME_MAX_LENGTH, message=_l("60 caractères au plus.")),
        ],
    )


class PasskeySignInForm(FlaskForm):
    credential = HiddenField(
        validators=[DataRequired(NO_CREDENTIAL), Length(max=CREDENTIAL_MAX_LENGTH)]
    )
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (removing a passkey)."""
