"""Passwords (SPEC §3): the chosen-password policy, argon2id hashing, and the
temporary passwords the school distributes.

A temporary password is stored only encrypted (the director must be able to read
it back) and compared in constant time; hashing it with argon2id as well would
make the nightly import of 100,000 accounts take half an hour for no gain, since
its clear text is recoverable by design.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from argon2 import PasswordHasher
from argon2 import Type
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from accounts.errors import PasswordPolicyError
from accounts.models import Account
from kernel import metrics
from kernel.clock import months_after
from kernel.config import Argon2Params
from kernel.config import PasswordPolicy
from kernel.secretbox import SecretBox

# Uppercase letters and digits (SPEC §3, `BUNZ57DM`), without the look-alikes
# 0/O and 1/I/L that parents misread on a printed letter.
TEMPORARY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 8


def validate_chosen_password(password: str, policy: PasswordPolicy) -> None:
    """Raise PasswordPolicyError with the French rule when the password breaks it."""
    ok = policy.min_length <= len(password) <= policy.max_length
    if policy.require_letter:
        ok = ok and any(c.isalpha() for c in password)
    if policy.require_digit:
        ok = ok and any(c.isdigit() for c in password)
    if not ok:
        raise PasswordPolicyError()


def generate_temporary_password() -> str:
    """8 characters from a CSPRNG, at least one letter and one digit."""
    while True:
        candidate = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if any(c.isalpha() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


class PasswordService:
    """Hashing and verification with the configured argon2id cost and encryption key."""

    def __init__(self, params: Argon2Params, box: SecretBox, policy: PasswordPolicy):
        self.policy = policy
        self.box = box
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        with metrics.password_hash("hash"):
            return self._hasher.hash(password)

    def verify_hash(self, password_hash: str | None, password: str) -> bool:
        if not password_hash:
            return False
        with metrics.password_hash("verify"):
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def issue_temporary(self, account: Account, *, today: dt.date | None) -> str:
        """Give the account a new temporary password; the old one stops working at once.

        `today` is the issue date that starts the validity period; None for an account
        not yet distributed (its password cannot be used until it is notified). The
        mechanics only: a reset goes through
        `accounts.password_changes.issue_temporary_passwords` (Paris date, audit).
        """
        password = generate_temporary_password()
        account.temporary_password_encrypted = self.box.encrypt(password)
        account.temporary_password_issued_on = today
        account.must_change_password = True
        account.password_hash = None
        return password

    def temporary_password_expired(
        self, account: Account, *, today: dt.date, validity_months: int
    ) -> bool:
        """SPEC §4: a temporary password is valid 3 calendar months from the day it was
        issued; one never issued to the parent (account not yet notified) is not valid
        at all."""
        last_day = temporary_password_valid_through(account, validity_months=validity_months)
        return last_day is None or today > last_day

    def usable_temporary_password(
        self, account: Account, *, today: dt.date, validity_months: int
    ) -> str | None:
        """The temporary password in clear while a parent can still sign in with it
        (the one the parent still has to change, issued and not expired), else None:
        what the console, its lists and its letters may show (SPEC §3)."""
        if self.temporary_password_expired(account, today=today, validity_months=validity_months):
            return None
        return self.temporary_password(account)

    def temporary_password(self, account: Account) -> str | None:
        """The temporary password in clear while the parent has not changed it, else None."""
        if not account.must_change_password or account.temporary_password_encrypted is None:
            return None
        return self.box.decrypt(account.temporary_password_encrypted)

    def set_chosen(self, account: Account, password: str) -> None:
        """The parent's own password: checked against the policy, hashed, temp one dropped.

        The mechanics only: a journey goes through
        `accounts.password_changes.set_own_password` (other sessions end, audit)."""
        validate_chosen_password(password, self.policy)
        account.password_hash = self.hash(password)
        account.temporary_password_encrypted = None
        account.temporary_password_issued_on = None
        account.must_change_password = False

    def check_temporary(self, account: Account, password: str) -> bool:
        """Constant-time comparison with the decrypted temporary password."""
        current = self.temporary_password(account)
        if current is None:
            return False
        return hmac.compare_digest(current.encode(), password.strip().upper().encode())


def temporary_password_valid_through(account: Account, *, validity_months: int) -> dt.date | None:
    """The last Paris day the account's temporary password works (SPEC §4: calendar
    months), or None when there is none the parent could use (never issued, or
    already changed). «Expiré le» names the day after."""
    issued = account.temporary_password_issued_on
    if issued is None or not account.must_change_password:
        return None
    return months_after(issued, validity_months)
