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
