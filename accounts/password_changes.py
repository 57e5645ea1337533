"""Every change of a parent's password (SPEC §3, §4): their own one set by a journey,
or a temporary one issued by the school.

`PasswordService` (accounts.passwords) knows the mechanics (policy, argon2id, the
encrypted temporary password); this module holds what must come with them every
time, so that no journey forgets a part: a password of their own ends the
account's other sessions and is audited; a temporary one starts its validity on
the Paris calendar date and is audited as a reset.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from accounts import audit
from accounts import sessions
from accounts.models import Account
from accounts.passwords import PasswordService
from kernel.clock import paris_today
from kernel.wording import plural


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


def issue_temporary_passwords(
    accounts: Sequence[Account],
    *,
    actor: audit.Actor,
    now: dt.datetime,
    passwords: PasswordService,
    school_id: int | None = None,
    details: dict | None = None,
) -> None:
    """A school's reset (004 §5.5, or with a notification, §5.3): each account gets a
    new temporary password from a CSPRNG, stored encrypted, to be changed at the
    next sign-in; its 3 months start on today's Paris date (SPEC §4) and the old
    password stops working at once. One audit row `account.password_reset` names
    every account reset together. The state never changes; callers leave Non
    notifié accounts out (their password is given by the first notification).

    The registry import's bulk creation does not come here: it inserts thousands of
    never-distributed accounts in one statement, with no issue date and no audit
    row each (registry_import.importer)."""
    today = paris_today(now)
    for account in accounts:
        passwords.issue_temporary(account, today=today)
    audit.record(
        "account.password_reset",
        actor=actor,
        now=now,
        accounts=accounts,
        school_id=school_id,
        summary=plural(len(accounts), "compte"),
        details=details,
    )
