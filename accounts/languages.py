"""The language kept on a parent's account, so that the emails and SMS nobody asks
for from a page (the console's resend, a job) reach the parent in their language
(docs/languages.md). Pages follow the browser's choice (kernel.languages); the
sign-in (idp.web_session) and the header's switch write it here."""

from __future__ import annotations

from accounts.models import Account
from kernel import languages


def remember_language(account: Account, code: str | None) -> None:
    """Keep a language we offer; anything else leaves the account's as it was."""
    code = languages.supported(code)
    if code is not None and account.locale != code:
        account.locale = code
