"""The audit log: every director action and every account transition leaves a row.

Callers pass the actor explicitly (no request globals), so the console, the
parent pages, the CLI and the nightly jobs all audit the same way. Once its
transaction commits, each row is also a security log line named after its action
(kernel.security_events; never on rollback: nothing is said that did not happen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy import inspect

from accounts.models import Account
from accounts.models import AuditEvent
from kernel import security_events
from kernel.extensions import db

PENDING_KEY = "guichet.audit_pending"
FLUSHED_KEY = "guichet.audit_flushed"


@dataclass(frozen=True)
class Actor:
    """Who acts: a director, a guardian on their own account, an operator, or the system."""

    type: str
    label: str
    id: int | None = None


SYSTEM = Actor(type="system", label="système")
OPERATOR = Actor(type="operator", label="opérateur")


def director_actor(director) -> Actor:
    return Actor(type="director", label=director.identifier, id=director.id)


def guardian_actor(account: Account) -> Actor:
    return Actor(type="guardian", label=account.identifier, id=account.id)


def record(
    action: str,
    *,
    actor: Actor,
    now: dt.datetime,
    accounts: Iterable[Account] = (),
    school_id: int | None = None,
    summary: str = "",
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction: it commits or rolls back with the change."""
    row = AuditEvent(
        at=now,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        school_id=school_id,
        summary=summary,
        details=details or {},
    )
    row.accounts = list(accounts)
    db.session.add(row)
    db.session.info.setdefault(PENDING_KEY, []).append(row)
    return row


@event.listens_for(db.session, "after_flush")
def _collect(session, _context) -> None:
    """Read what the line will say while the rows are loaded and have their ids (after
    the commit, reading them would need the database)."""
    rows = session.info.pop(PENDING_KEY, [])
    if rows:
        flushed = session.info.setdefault(FLUSHED_KEY, [])
        flushed.extend((row, row.action, _fields(row)) for row in rows)


@event.listens_for(db.session, "after_commit")
def _log_committed(session) -> None:
    for row, action, fields in session.info.pop(FLUSHED_KEY, []):
        # A row added in a savepoint that rolled back is no longer persistent.
        if inspect(row).persistent:
            security_events.emit(action, **fields)


@event.listens_for(db.session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(FLUSHED_KEY, None)


def _fields(row: AuditEvent) -> dict[str, object]:
    """Who acted on what, by database ids (the journal holds the rest)."""
    fields: dict[str, object] = {"actor_type": row.actor_type}
    if row.actor_id is not None:
        fields["actor_id"] = row.actor_id
    if row.school_id is not None:
        fields["school_id"] = row.school_id
    ids = [account.id for account in row.accounts]
    if ids:
        fields["account_ids"] = ids[:20]
        fields["accounts"] = len(ids)
    return fields
