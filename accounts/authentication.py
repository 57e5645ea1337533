"""Password sign-in of a parent (SPEC §4, §6.1): what the typed identifier and
password lead to.

Only Activé accounts reach services; any other live state that typed a valid
password is sent to its next step. Every attempt costs one argon2id
verification whatever the account (a dummy hash when there is none), and every
refusal is the same `InvalidCredentials`, so neither the answer nor its timing
tells whether an identifier exists.
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
    subject = f"password:{identifier.strip().lower()}"
    throttle.check("password", subject, now=now)
    account = find_by_identifier(identifier)
    if account is None or account.state in (AccountState.DELETED, AccountState.NOT_NOTIFIED):
        _burn_one_hash(passwords, password)
        throttle.record_failure("password", subject, now=now, account=None)
        raise InvalidCredentials()

    result = _match(account, password, passwords=passwords, rules=rules, today=today)
    if result is None:
        throttle.record_failure("password", subject, now=now, account=account)
        raise InvalidCredentials()
    throttle.record_success("password", subject)
    return result


def check_password(account: Account, password: str, *, passwords: PasswordService) -> bool:
    """Whether `password` is the account's current password, own or temporary (merge, 002)."""
    if account.must_change_password:
        _burn_one_hash(passwords, password)
        return passwords.check_temporary(account, password)
    return passwords.verify_hash(account.password_hash, password)


def find_by_identifier(identifier: str) -> Account | None:
    return db.session.scalar(
        db.select(Account).where(Account.identifier == identifier.strip().lower())
    )


def _match(account, password, *, passwords, rules, today) -> SignInResult | None:
    if account.must_change_password:
        _burn_one_hash(passwords, password)
        if not passwords.check_temporary(account, password):
            return None
        if passwords.temporary_password_expired(
            account, today=today, validity_days=rules.temporary_password_validity_days
        ):
            raise TemporaryPasswordExpired()
        if account.state == AccountState.NOTIFIED:
            return SignInResult(account, Next.ACTIVATE)
        return SignInResult(account, Next.CHANGE_PASSWORD)
    if not passwords.verify_hash(account.password_hash, password):
        return None
    if account.state == AccountState.ACTIVATING:
        return SignInResult(account, Next.CONFIRM_EMAIL)
    return SignInResult(account, Next.SIGNED_IN)


def _burn_one_hash(passwords: PasswordService, password: str) -> None:
    """Spend the time of one argon2id verification, so refusals all take as long."""
    key = id(passwords)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = passwords.hash("guichet-timing-equaliser")
    passwords.verify_hash(_DUMMY_HASH[key], password)
