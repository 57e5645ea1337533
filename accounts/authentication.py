"""Password sign-in of a parent (SPEC §4, §6.1): what the typed identifier and
password lead to.

Only Activé accounts reach services; any other live state that typed a valid
password is sent to its next step. Every attempt costs one argon2id
verification whatever the account (a dummy hash when there is none), and every
refusal is the same `InvalidCredentials`, so neither the answer nor its timing
tells whether an identifier exists. That check, `verify_password`, is also the
one the merge (SPEC §6.6) and the profile's password change (§6.7) make.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from accounts import throttle
from accounts.models import Account
from accounts.models import AccountState
from accounts.passwords import PasswordService
from kernel import security_events
from kernel.clock import paris_today
from kernel.config import AccountRules
from kernel.errors import DomainError
from kernel.extensions import db


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    message = _l("Identifiant ou mot de passe incorrect.")


class TemporaryPasswordExpired(DomainError):
    code = "temporary_password_expired"
    message = _l(
        "Votre mot de passe provisoire a expiré. Veuillez contacter l'école de votre enfant "
        "pour qu'elle vous en remette un nouveau."
    )


class Next(enum.StrEnum):
    """Where a correct password leads."""

    SIGNED_IN = "signed_in"  # Activé, own password: sessions and services open
    ACTIVATE = "activate"  # Notifié, temporary password: the activation journey
    CHANGE_PASSWORD = "change_password"  # noqa: S105 - temporary password after a reset: choose a new one
    CONFIRM_EMAIL = "confirm_email"  # En cours d'activation: the activation email awaits


@dataclass(frozen=True)
class SignInResult:
    account: Account
    next: Next


_DUMMY_HASH: dict[int, str] = {}


def authenticate(
    identifier: str,
    password: str,
    *,
    now: dt.datetime,
    passwords: PasswordService,
    rules: AccountRules,
    today: dt.date,
) -> SignInResult:
    """A parent's password sign-in: `verify_password`, counted and logged as a
    sign-in (the merge and the profile check a password without signing in)."""
    try:
        account = verify_password(
            identifier, password, now=now, passwords=passwords, rules=rules, today=today
        )
    except (throttle.TooManyAttempts, throttle.JourneyLocked):
        security_events.sign_in("password", "throttled")
        raise
    except DomainError:
        security_events.sign_in("password", "failure")
        raise
    security_events.sign_in("password", "success", account_id=account.id)
    return SignInResult(account, _next_step(account))


def verify_password(
    identifier: str,
    password: str,
    *,
    now: dt.datetime,
    passwords: PasswordService,
    rules: AccountRules | None,
    today: dt.date | None = None,
) -> Account:
    """The account whose password (own, or temporary and still valid) this is.

    The one check behind sign-in, the merge's «Recherchez le compte» and the
    profile's current password, so that all three share one throttle per
    identifier typed, cost one argon2id verification whether or not the
    identifier exists, and refuse with the same `InvalidCredentials`.
    `rules` None leaves a temporary password's age unchecked (the profile: the
    parent is signed in already, as before); `today` defaults to the Paris date.
    """
    subject = f"password:{identifier.strip().lower()}"
    throttle.attempt("password", subject, now=now)
    account = find_by_identifier(identifier)
    if account is None or account.state in (AccountState.DELETED, AccountState.NOT_NOTIFIED):
        _burn_one_hash(passwords, password)
        throttle.record_failure("password", subject, now=now, account=None)
        raise InvalidCredentials()
    if not _matches(account, password, passwords=passwords):
        throttle.record_failure("password", subject, now=now, account=account)
        raise InvalidCredentials()
    if (
        rules is not None
        and account.must_change_password
        and passwords.temporary_password_expired(
            account,
            today=today or paris_today(now),
            validity_months=rules.temporary_password_validity_months,
        )
    ):
        raise TemporaryPasswordExpired()
    throttle.record_success("password", subject)
    return account


def find_by_identifier(identifier: str) -> Account | None:
    return db.session.scalar(
        db.select(Account).where(Account.identifier == identifier.strip().lower())
    )


def _next_step(account: Account) -> Next:
    if account.must_change_password:
        return Next.ACTIVATE if account.state == AccountState.NOTIFIED else Next.CHANGE_PASSWORD
    if account.state == AccountState.ACTIVATING:
        return Next.CONFIRM_EMAIL
    return Next.SIGNED_IN


def _matches(account: Account, password: str, *, passwords: PasswordService) -> bool:
    """Exactly one argon2id verification, whichever password the account has: a
    temporary one is compared in clear, an account without a password (FranceConnect
    only) has nothing to compare, so both spend the dummy one."""
    if account.must_change_password:
        _burn_one_hash(passwords, password)
        return passwords.check_temporary(account, password)
    if not account.password_hash:
        _burn_one_hash(passwords, password)
        return False
    return passwords.verify_hash(account.password_hash, password)


def _burn_one_hash(passwords: PasswordService, password: str) -> None:
    """Spend the time of one argon2id verification, so refusals all take as long."""
    key = id(passwords)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = passwords.hash("guichet-timing-equaliser")
    passwords.verify_hash(_DUMMY_HASH[key], password)
