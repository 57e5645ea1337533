"""Forms of the console (Flask-WTF: CSRF on every POST; French messages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import Optional


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Identifiant"),
        validators=[DataRequired(_l("Saisissez votre identifiant.")), Length(max=80)],
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Saisissez votre mot de passe.")), Length(max=200)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code à 6 chiffres"),
        validators=[DataRequired(_l("Saisissez le code.")), Length(max=12)],
    )


class SchoolForm(FlaskForm):
    school_id = SelectField(_l("Établissement"), coerce=int)


class CsrfOnlyForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


NOTIFY = _l("(Re)Notifier les comptes")
LIST = _l("Lister les comptes")
MODIFY = _l("Modifier les comptes")


class ActionForm(FlaskForm):
    """The actions of the search page on the selected rows (ids are read from the form)."""

    action = SelectField(
        _l("Action sur les comptes sélectionnés"),
        choices=[
            SelectChoice(
                "notify_letter", _l("Par feuilles individuelles imprimables"), optgroup=NOTIFY
            ),
            SelectChoice(
                "notify_email", _l("Par envoi de courriers électroniques"), optgroup=NOTIFY
            ),
            SelectChoice(
                "list_pdf", _l("Imprimer la liste des responsables (format pdf)"), optgroup=LIST
            ),
            SelectChoice(
                "list_csv", _l("Imprimer la liste des responsables (format csv)"), optgroup=LIST
            ),
            SelectChoice("reset", _l("Réinitialiser le(s) mot(s) de passe"), optgroup=MODIFY),
        ],
    )
    reset = BooleanField(_l("Avec réinitialisation du mot de passe"))
    all_results = BooleanField(_l("Sélectionner tous les résultats de la recherche"))


class NotifyForm(FlaskForm):
    """(Re)notify from the account page, or the confirmation of a (re)notification."""

    channel = SelectField(
        _l("Mode de notification"),
        choices=[
            SelectChoice("letter", _l("Par feuille individuelle imprimable")),
            SelectChoice("email", _l("Par envoi de courriers électroniques")),
        ],
    )
    reset = BooleanField(_l("Avec réinitialisation du mot de passe"))
    origin = HiddenField(default="list")


class ConfirmForm(FlaskForm):
    origin = HiddenField(default="list")


class ResendForm(FlaskForm):
    email = EmailField(
        _l("Adresse mail :"),
        validators=[
            DataRequired(_l("Saisissez l'adresse mail.")),
            Email(_l("Saisissez une adresse mail valide.")),
            Length(max=254),
        ],
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Auteur"), validators=[Optional(), Length(max=80)])
    account = StringField(_l("Identifiant du compte"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    date_from = DateField(_l("Du"), validators=[Optional()])
    date_to = DateField(_l("Au"), validators=[Optional()])
