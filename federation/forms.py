"""Forms of the FranceConnect linking journey (French labels and messages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional


class MobileForm(FlaskForm):
    mobile = StringField(
        _l("Numéro de téléphone portable"),
        description=_l(
            "Le numéro donné à l'école de votre enfant (fiche de renseignements). "
            "Format attendu : 06 12 34 56 78 ou, pour un numéro étranger, +32 470 12 34 56."
        ),
        validators=[
            DataRequired(_l("Saisissez votre numéro de téléphone portable.")),
            Length(max=30),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code de validation reçu par SMS"),
        description=_l("6 chiffres, valable 30 minutes."),
        validators=[DataRequired(_l("Saisissez le code reçu par SMS.")), Length(max=12)],
    )


class ConfirmForm(FlaskForm):
    """CSRF-protected buttons (unlink, sign out)."""


def children_form(rows: list[tuple[str, str]]) -> type[FlaskForm]:
    """One birth date and one «pas mon enfant» box per child, plus the terms of use.

    `rows` are (field key, child's name) pairs; the fields are `birth_<key>` and
    `not_mine_<key>`."""

    class ChildrenForm(FlaskForm):
        accept_terms = BooleanField(
            _l("J'accepte les conditions générales d'utilisation du service."),
            validators=[InputRequired(_l("Vous devez accepter les conditions d'utilisation."))],
        )

    for key, name in rows:
        setattr(
            ChildrenForm,
            f"birth_{key}",
            DateField(
                _l("Date de naissance de %(name)s", name=name),
                format=["%Y-%m-%d", "%d/%m/%Y"],
                validators=[Optional()],
            ),
        )
        setattr(
            ChildrenForm,
            f"not_mine_{key}",
            BooleanField(_l("Je ne suis pas le représentant légal de cet élève")),
        )
    return ChildrenForm
