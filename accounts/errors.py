"""Domain errors: a stable code for programs and tests, a French message for people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base of every business-rule refusal; views render `message`, the CLI prints it."""

    code = "domain_error"
    message = _l("L'opération n'a pas pu être effectuée.")

    def __init__(self, message: str | None = None, **context):
        self.context = context
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class ForbiddenTransition(DomainError):
    code = "forbidden_transition"
    message = _l("Cette opération n'est pas possible dans l'état actuel du compte.")


class PasswordPolicyError(DomainError):
    code = "password_policy"
    message = _l(
        "Le mot de passe doit comporter de 8 à 14 caractères, avec au moins une lettre "
        "et au moins un chiffre."
    )


class EncryptionKeyError(DomainError):
    code = "encryption_key"
    message = _l("Le mot de passe provisoire ne peut pas être déchiffré avec la clé configurée.")
