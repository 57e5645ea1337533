"""The password sign-in form (SPEC §3, §6.1), posted to the sign-in page
(`idp.login`) or to the authorization request itself (idp.authorization): what a
post leads to, and the page that shows the form. Neither commits: each endpoint
commits once, with the rest of its response."""

from __future__ import annotations

from typing import NamedTuple

from flask import Response
from flask import redirect
from flask import render_template
from flask import url_for

from accounts.authentication import Next
from accounts.authentication import authenticate
from accounts.sessions import LoginSession
from idp.forms import LoginForm
from idp.web_session import begin_pending
from idp.web_session import sign_in
from kernel.clock import paris_today
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.runtime import passwords
from kernel.runtime import settings
from kernel.web import sign_in_sections

# The assurance level of a password sign-in; a passkey sign-in claims the same one.
PASSWORD_ACR = "eidas1"  # noqa: S105 - an assurance level, not a secret

PENDING_STEPS = {
    Next.ACTIVATE: ("activation", "enrollment.activate"),
    Next.CHANGE_PASSWORD: ("change_password", "enrollment.choose_password"),
    Next.CONFIRM_EMAIL: ("awaiting_email", "enrollment.awaiting_email"),
}


class SignInAttempt(NamedTuple):
    """What a posted sign-in form led to: a new session, the French refusal to show,
    or the journey a temporary password leads to. All None when nothing valid was
    posted (the form shows its own field errors)."""

    login: LoginSession | None = None
    error: str | None = None
    step: Response | None = None

    @property
    def posted(self) -> bool:
        """A valid form was posted: its outcome is committed (the new session, the
        failure that counts towards throttling, the journey begun)."""
        return self.login is not None or self.error is not None or self.step is not None


def password_sign_in(form: LoginForm, next_url: str | None) -> SignInAttempt:
    """Check the posted identifier and password; a correct one opens a session (only
    for an Activé account: the other outcomes lead to enrollment's pages, which come
    back to `next_url`)."""
    if not form.validate_on_submit():
        return SignInAttempt()
    now = utcnow()
    try:
        result = authenticate(
            form.identifier.data,
            form.password.data,
            now=now,
            passwords=passwords(),
            rules=settings().accounts,
            today=paris_today(now),
        )
    except DomainError as refusal:
        return SignInAttempt(error=refusal.message)
    if result.next == Next.SIGNED_IN:
        return SignInAttempt(login=sign_in(result.account, now=now, amr=["pwd"], acr=PASSWORD_ACR))
    purpose, endpoint = PENDING_STEPS[result.next]
    begin_pending(purpose, result.account, now=now, next=next_url)
    return SignInAttempt(step=redirect(url_for(endpoint)))


def sign_in_page(form: LoginForm, *, error: str | None, next_url: str | None, action: str):
    """The sign-in page, posting to `action`; 400 when it shows a refusal or field errors."""
    status = 200 if error is None and not form.errors else 400
    return render_template(
        "idp/login.html",
        form=form,
        error=error,
        next_url=next_url,
        action=action,
        sections=sign_in_sections(),
    ), status
