"""The audit log: every director action and every account transition leaves a row.

Callers pass the actor explicitly (no request globals), so the console, the
parent pages, the CLI and the nightly jobs all audit the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import Account
from accounts.models import AuditEvent
from kernel.extensions import db


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
    event = AuditEvent(
        at=now,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        school_id=school_id,
        summary=summary,
        details=details or {},
    )
    event.accounts = list(accounts)
    db.session.add(event)
    return event
