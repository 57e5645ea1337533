"""Every change of a parent's password (SPEC §3, §4): their own one set by a journey.

`PasswordService` (accounts.passwords) knows the mechanics (policy, argon2id, the
encrypted temporary password); this module holds what must come with them every
time, so that no journey forgets a part: a password of their own ends the
account's other sessions and is audited.
"""

from __future__ import annotations

import datetime as dt
import enum

from accounts import audit
from accounts import sessions
from accounts.models import Account
from accounts.passwords import PasswordService


class Occasion(enum.Enum):
    """Why a parent sets their own password: the audit event it leaves and the
    reason the account's other sessions end (each journey kept the ones it had)."""

    # Activation, SMS self-registration, the forced change after a reset.
    CHOSEN = ("account.password_chosen", "password_changed")
    # The profile page, current password given.
    CHANGED = ("account.password_changed", "password_changed")
    # «Mot de passe perdu», by email link or SMS code.
    RECOVERED = ("account.password_reset", "password_reset")

    @property
    def audit_event(self) -> str:
        return self.value[0]

    @property
    def ended_reason(self) -> str:
        return self.value[1]


def set_own_password(
    account: Account,
    password: str,
    *,
    occasion: Occasion,
    now: dt.datetime,
    passwords: PasswordService,
    keep_session: str | None = None,
    details: dict | None = None,
) -> None:
    """The parent's own password replaces whatever they had (SPEC §3): checked
    against the policy before anything changes, hashed with argon2id, the temporary
    one dropped. Whoever knew the old password loses the sessions it opened, so
    every other session of the account ends (`keep_session`: the browser of a
    parent who stays signed in). The state never changes (SPEC §4)."""
    passwords.set_chosen(account, password)
    sessions.end_sessions_of(account, now=now, reason=occasion.ended_reason, keep=keep_session)
    audit.record(
        occasion.audit_event,
        actor=audit.guardian_actor(account),
        now=now,
        accounts=[account],
        details=details,
    )
