"""The activation email, letter C07 (SPEC §4, §6.2): sent by the activation journey
(enrollment) and again from the directors' console («Renvoyer un courriel
d'activation», 004 §5.6), so it lives below both."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from accounts import email_links
from accounts.errors import ForbiddenTransition
from accounts.models import Account
from accounts.models import AccountState
from kernel import runtime
from kernel.clock import months_after
from kernel.clock import paris_midnight
from kernel.clock import paris_today
from kernel.errors import DomainError
from kernel.web import external_url
from kernel.web import product_context
from messaging.compose import compose_email


class NoEmail(DomainError):
    code = "no_email"
    message = _l("Aucune adresse électronique n'est renseignée pour ce compte.")


def activation_link_expiry(now: dt.datetime, months: int) -> dt.datetime:
    """SPEC §4: a link sent on 7 December works through 7 March (calendar months,
    Paris time) and stops at the first moment of 8 March, the day «expiré le» names."""
    last_day = months_after(paris_today(now), months)
    return paris_midnight(last_day + dt.timedelta(days=1))


def send_activation_email(account: Account, email: str, *, now: dt.datetime):
    """Letter C07 with a fresh activation link, valid 3 months (SPEC §4); older links
    stop working. The address becomes the account's email, unconfirmed until the link
    is clicked (SPEC §5: a director's correction in the resend dialog too).
    Returns the composed message; the caller commits."""
    if account.state != AccountState.ACTIVATING:
        raise ForbiddenTransition(move="send_activation_email", state=account.state.value)
    address = (email or "").strip().lower()
    if not address:
        raise NoEmail()
    if account.email != address:
        account.email = address
        account.email_verified = False
    rules = runtime.settings().accounts
    token = email_links.issue(
        account,
        email_links.ACTIVATION,
        address,
        now=now,
        validity=activation_link_expiry(now, rules.activation_link_validity_months) - now,
    )
    return compose_email(
        address,
        "C07",
        {
            "identifier": account.identifier,
            "link": external_url("enrollment.confirm_email", token=token),
            **product_context(),
        },
        now=now,
        account_id=account.id,
        locale=account.locale,
    )
