"""Forms of the parent journeys, with their French messages (SPEC §3, §6)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import ValidationError

from kernel.contact import normalise_email
from kernel.contact import normalise_mobile

# The prefixes a parent picks from (SPEC §6.3: «avec l'indicatif»): France and overseas first.
MOBILE_REGIONS = [
    SelectChoice("FR", _l("France métropolitaine (+33)")),
    SelectChoice("GP", _l("Guadeloupe (+590)")),
    SelectChoice("MQ", _l("Martinique (+596)")),
    SelectChoice("GF", _l("Guyane (+594)")),
    SelectChoice("RE", _l("La Réunion (+262)")),
    SelectChoice("YT", _l("Mayotte (+262)")),
    SelectChoice("PM", _l("Saint-Pierre-et-Miquelon (+508)")),
    SelectChoice("NC", _l("Nouvelle-Calédonie (+687)")),
    SelectChoice("PF", _l("Polynésie française (+689)")),
    SelectChoice("WF", _l("Wallis-et-Futuna (+681)")),
    SelectChoice("BE", _l("Belgique (+32)")),
    SelectChoice("CH", _l("Suisse (+41)")),
    SelectChoice("LU", _l("Luxembourg (+352)")),
    SelectChoice("DE", _l("Allemagne (+49)")),
    SelectChoice("ES", _l("Espagne (+34)")),
    SelectChoice("IT", _l("Italie (+39)")),
    SelectChoice("PT", _l("Portugal (+351)")),
    SelectChoice("GB", _l("Royaume-Uni (+44)")),
    SelectChoice("MA", _l("Maroc (+212)")),
    SelectChoice("DZ", _l("Algérie (+213)")),
    SelectChoice("TN", _l("Tunisie (+216)")),
]

REQUIRED = _l("Ce champ est obligatoire.")
# The browser's date picker sends ISO dates; without one, parents type French dates.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(raw: str | None) -> dt.date | None:
    text = (raw or "").strip()
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


PASSWORD_HINT = _l("De 8 à 14 caractères, avec au moins une lettre et au moins un chiffre.")


class MobileMixin:
    def validate_mobile(self, field):
        self.mobile_e164 = normalise_mobile(field.data, self.region.data, mobile_only=True)
        if self.mobile_e164 is None:
            raise ValidationError(
                _l(
                    "Ce numéro n'est pas un numéro de téléphone mobile valide pour l'indicatif "
                    "choisi. Vérifiez la saisie de votre numéro."
                )
            )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        description=PASSWORD_HINT,
        validators=[InputRequired(REQUIRED), Length(max=200)],
    )
    confirm = PasswordField(
        _l("Confirmation du nouveau mot de passe"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("password", _l("Les deux mots de passe saisis ne sont pas identiques.")),
        ],
    )


def _terms_field():
    return BooleanField(
        _l("J'accepte les conditions générales d'utilisation du service."),
        validators=[
            DataRequired(_l("Vous devez accepter les conditions générales d'utilisation."))
        ],
    )


def _email_validator(form, field):
    normalised = normalise_email(field.data)
    if normalised is None:
        raise ValidationError(_l("Saisissez une adresse électronique valide (nom@domaine.fr)."))
    field.normalised = normalised


class ActivationForm(NewPasswordForm):
    email = StringField(
        _l("Adresse électronique"),
        description=_l(
            "Un courriel d'activation y sera envoyé : il faudra cliquer sur son lien pour "
            "activer votre compte."
        ),
        validators=[InputRequired(REQUIRED), Length(max=254), _email_validator],
    )
    birth_date = DateField(
        _l("Date de naissance"),
        description=_l("Format attendu : jj/mm/aaaa."),
        validators=[InputRequired(REQUIRED)],
        format=list(DATE_FORMATS),
    )
    terms = _terms_field()


class ChoosePasswordForm(NewPasswordForm):
    pass


class ResendActivationForm(FlaskForm):
    email = StringField(
        _l("Adresse électronique"),
        validators=[InputRequired(REQUIRED), Length(max=254), _email_validator],
    )


class ConfirmForm(FlaskForm):
    """A button under a link's landing page: the link is consumed by this POST only."""


class RegisterForm(MobileMixin, FlaskForm):
    last_name = StringField(_l("Nom"), validators=[InputRequired(REQUIRED), Length(max=100)])
    first_name = StringField(_l("Prénom"), validators=[InputRequired(REQUIRED), Length(max=100)])
    region = SelectField(_l("Indicatif"), choices=MOBILE_REGIONS, default="FR")
    mobile = StringField(
        _l("Numéro de téléphone mobile"),
        description=_l(
            "Le numéro communiqué à l'école de votre enfant, par exemple 06 12 34 56 78."
        ),
        validators=[InputRequired(REQUIRED), Length(max=30)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code de validation reçu par SMS"),
        description=_l("6 chiffres."),
        validators=[InputRequired(REQUIRED), Length(max=20)],
    )


class RegistrationPasswordForm(NewPasswordForm):
    terms = _terms_field()


class LostIdentifierEmailForm(FlaskForm):
    email = StringField(
        _l("Adresse électronique"),
        description=_l("L'adresse communiquée à l'école de votre enfant."),
        validators=[InputRequired(REQUIRED), Length(max=254), _email_validator],
    )


class LostIdentifierSmsForm(MobileMixin, FlaskForm):
    region = SelectField(_l("Indicatif"), choices=MOBILE_REGIONS, default="FR")
    mobile = StringField(
        _l("Numéro de téléphone mobile"),
        description=_l("Le numéro communiqué à l'école de votre enfant."),
        validators=[InputRequired(REQUIRED), Length(max=30)],
    )


class LostPasswordForm(FlaskForm):
    identifier = StringField(
        _l("Identifiant"), validators=[InputRequired(REQUIRED), Length(max=80)]
    )
    mode = RadioField(
        _l("Recevoir"),
        choices=[
            SelectChoice("email", _l("un lien par courriel")),
            SelectChoice("sms", _l("un code par SMS")),
        ],
        default="email",
        validators=[InputRequired(REQUIRED)],
    )
    email = StringField(
        _l("Adresse électronique (pour l'envoi par courriel)"),
        description=_l("L'adresse communiquée à l'école de votre enfant ou celle de votre compte."),
        validators=[Length(max=254)],
    )

    def validate_email(self, field):
        if self.mode.data != "email":
            return
        if not (field.data or "").strip():
            raise ValidationError(REQUIRED)
        _email_validator(self, field)


class ChangeEmailForm(FlaskForm):
    email = StringField(
        _l("Nouvelle adresse électronique"),
        validators=[InputRequired(REQUIRED), Length(max=254), _email_validator],
    )
    confirm = StringField(
        _l("Confirmation de la nouvelle adresse électronique"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("email", _l("Les deux adresses saisies ne sont pas identiques.")),
        ],
    )


class ChangeMobileForm(MobileMixin, FlaskForm):
    region = SelectField(_l("Indicatif"), choices=MOBILE_REGIONS, default="FR")
    mobile = StringField(
        _l("Nouveau numéro de téléphone mobile"),
        validators=[InputRequired(REQUIRED), Length(max=30)],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Mot de passe actuel"), validators=[InputRequired(REQUIRED), Length(max=200)]
    )


class MergeSearchForm(FlaskForm):
    identifier = StringField(
        _l("Identifiant"), validators=[InputRequired(REQUIRED), Length(max=80)]
    )
    password = PasswordField(
        _l("Mot de passe"),
        description=_l("Le mot de passe provisoire du courrier de l'école, ou celui du compte."),
        validators=[InputRequired(REQUIRED), Length(max=200)],
    )


class DeviceAlertsForm(FlaskForm):
    """«Mes connexions»: the optional email on a sign-in from a new browser (issue 17)."""

    enabled = BooleanField(
        _l(
            "M'envoyer un courriel quand une connexion à mon compte a lieu depuis un "
            "navigateur jamais utilisé avec ce compte"
        )
    )


class ReauthenticationForm(FlaskForm):
    """«Mes données»: the password typed again before a download (issue 17)."""

    password = PasswordField(
        _l("Mot de passe"), validators=[InputRequired(REQUIRED), Length(max=200)]
    )
