"""Refusals of the account rules shared by every journey (state machine, password policy)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kernel.errors import DomainError


class ForbiddenTransition(DomainError):
    code = "forbidden_transition"
    message = _l("Cette opération n'est pas possible dans l'état actuel du compte.")


class PasswordPolicyError(DomainError):
    code = "password_policy"
    message = _l(
        "Le mot de passe doit comporter de 8 à 14 caractères, avec au moins une lettre "
        "et au moins un chiffre."
    )
