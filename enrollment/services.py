"""Activation of a distributed account (SPEC §4, §6.2; issue 5 journey 1) and what
the other journeys share: the activation email C07, terms acceptance, links.

Notifié et non activé → (new password, email, birth date of the named child) →
En cours d'activation → link of C07 → Activé. Temporary credentials and the
activation link expire 3 months after they were issued (`AccountRules`).
Functions take `now=` and the services they need; they never read the request.
"""

from __future__ import annotations

import datetime as dt

from accounts import activation_email
from accounts import children
from accounts import email_links
from accounts import states
from accounts.authentication import TemporaryPasswordExpired
from accounts.errors import ForbiddenTransition
from accounts.models import Account
from accounts.models import AccountState
from accounts.password_changes import Occasion
from accounts.password_changes import set_own_password
from accounts.passwords import PasswordService
from accounts.passwords import validate_chosen_password
from accounts.terms import record_terms
from kernel.clock import paris_today
from kernel.config import AccountRules
from registry.models import Pupil


def named_child(account: Account) -> Pupil | None:
    """The child whose birth date the activation asks (the first listed, SPEC §6.2)."""
    pupils = account.children()
    return pupils[0] if pupils else None


def activate_with_temporary_password(
    account: Account,
    *,
    password: str,
    email: str,
    birth_date: dt.date | None,
    now: dt.datetime,
    passwords: PasswordService,
    rules: AccountRules,
) -> None:
    """First sign-in of a distributed account: checks, then En cours d'activation and C07.

    The birth date is checked first (it is the guessable secret, throttled per
    account); nothing changes unless every step passes.
    """
    if account.state != AccountState.NOTIFIED or not account.must_change_password:
        raise ForbiddenTransition(move="start_activation", state=account.state.value)
    validate_chosen_password(password, passwords.policy)
    if passwords.temporary_password_expired(
        account, today=paris_today(now), validity_months=rules.temporary_password_validity_months
    ):
        raise TemporaryPasswordExpired()
    child = named_child(account)
    if child is not None:
        children.verify_birth_date(
            child,
            birth_date,
            now=now,
            subject=children.birth_date_subject(account),
            account=account,
        )
    set_own_password(account, password, occasion=Occasion.CHOSEN, now=now, passwords=passwords)
    record_terms(account, version=rules.terms_version, now=now)
    states.start_activation(account, now=now)
    activation_email.send_activation_email(account, email, now=now)


def confirm_activation_link(token: str, *, now: dt.datetime) -> Account:
    """The parent clicked C07's link: the address is confirmed and the account Activé."""
    link = email_links.consume(token, email_links.ACTIVATION, now=now)
    account = link.account
    if account.state != AccountState.ACTIVATING:
        raise email_links.LinkInvalid()
    account.email = link.email
    account.email_verified = True
    states.confirm_activation(account, now=now)
    return account


def choose_new_password(
    account: Account, password: str, *, now: dt.datetime, passwords: PasswordService
) -> None:
    """A temporary password given after a reset is replaced by the parent's own one
    (the state never changes, SPEC §4); other sessions of the account end."""
    if not account.must_change_password:
        raise ForbiddenTransition(move="choose_password", state=account.state.value)
    set_own_password(account, password, occasion=Occasion.CHOSEN, now=now, passwords=passwords)
