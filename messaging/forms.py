"""The filter of the development outbox page (a GET search: no state changes, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length
from wtforms.validators import Optional


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    to = StringField(
        _l("Destinataire"),
        description=_l("Adresse électronique ou numéro de mobile, écrit comme vous voulez."),
        validators=[Optional(), Length(max=254)],
    )
