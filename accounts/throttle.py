"""Limits on guessable secrets (SPEC: passwords, birth dates, SMS codes).

Each failed attempt on a subject (an identifier typed at sign-in, an account's
birth-date check…) is counted in the database, so the limit holds across
workers and restarts. After a few free attempts each further try must wait
twice as long as the last; past the lock threshold the path is locked until a
director lifts it (the lock is shown on the console's account page). Counting
per subject typed, not per existing account, answers the same way whether or
not an account exists. Per-address rate limits are Flask-Limiter's job, on the
views.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from accounts import audit
from accounts.models import Account
from kernel.errors import DomainError
from kernel.extensions import db


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int = 3
    base_delay_seconds: int = 30
    lock_after: int = 10


POLICIES = {
    "password": ThrottlePolicy(free_attempts=5, base_delay_seconds=15, lock_after=20),
    "birth_date": ThrottlePolicy(free_attempts=3, base_delay_seconds=30, lock_after=8),
    "director_password": ThrottlePolicy(free_attempts=5, base_delay_seconds=15, lock_after=20),
}


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    message = _l("Trop de tentatives. Veuillez patienter quelques instants avant de réessayer.")

    def __init__(self, retry_after: dt.datetime):
        self.retry_after = retry_after
        super().__init__()


class JourneyLocked(DomainError):
    code = "journey_locked"
    message = _l(
        "Trop de tentatives infructueuses : ce parcours est bloqué. "
        "Veuillez contacter l'école de votre enfant."
    )


class AttemptCounter(db.Model):
    __tablename__ = "attempt_counters"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


def _counter(kind: str, subject: str) -> AttemptCounter | None:
    """The counter as the database has it now (`attempt` writes past the ORM)."""
    return db.session.scalar(
        db.select(AttemptCounter)
        .where(AttemptCounter.kind == kind, AttemptCounter.subject == subject)
        .execution_options(populate_existing=True)
    )


def attempt(kind: str, subject: str, *, now: dt.datetime) -> None:
    """Count this attempt before the secret is even compared, or refuse it when the
    subject must wait or is locked: one atomic step, so that concurrent guesses get
    exactly the attempts the policy allows. One upsert counts the attempt unless the
    subject is waiting or locked, creating the row if missing (never a duplicate) and
    locking it until the caller's transaction ends; a success then clears it
    (`record_success`), a failure is filed (`record_failure`). Counted as a failure
    until the caller says otherwise: a request that dies while comparing costs the
    guesser an attempt, never the other way round. (One statement where an insert, a
    select for update and an update were: a sign-in's throttle is two round trips.)"""
    policy = POLICIES[kind]
    table = AttemptCounter.__table__
    free_to_try = table.c.locked_at.is_(None) & (
        table.c.blocked_until.is_(None) | (table.c.blocked_until <= now)
    )
    counted = db.session.execute(
        _insert(db.session.get_bind().dialect.name)
        .values(kind=kind, subject=subject, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=["kind", "subject"],
            set_={"failures": table.c.failures + 1, "last_failure_at": now},
            where=free_to_try,
        )
        .returning(table.c.id, table.c.failures)
    ).first()
    if counted is None:  # waiting or locked: the row (now locked) says which
        counter = _counter(kind, subject)
        if counter.locked_at is not None:
            raise JourneyLocked()
        raise TooManyAttempts(counter.blocked_until)
    if counted.failures >= policy.lock_after:
        held = {"locked_at": now}
    elif counted.failures >= policy.free_attempts:
        extra = counted.failures - policy.free_attempts
        held = {"blocked_until": now + dt.timedelta(seconds=policy.base_delay_seconds * 2**extra)}
    else:
        return
    db.session.execute(db.update(AttemptCounter).where(table.c.id == counted.id).values(**held))


def _insert(dialect: str):
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(AttemptCounter)


def record_failure(
    kind: str, subject: str, *, now: dt.datetime, account: Account | None = None
) -> AttemptCounter | None:
    """The attempt counted by `attempt` failed: the counter is filed under the account
    (the director sees its lock), and a lock it reached is audited."""
    counter = _counter(kind, subject)
    if counter is None:
        return None
    if account is not None:
        counter.account_id = account.id
    if counter.locked_at == now and counter.failures == POLICIES[kind].lock_after:
        audit.record(
            f"{kind}.locked",
            actor=audit.SYSTEM,
            now=now,
            accounts=[account] if account else [],
            details={"failures": counter.failures},
        )
    return counter


def record_success(kind: str, subject: str) -> None:
    """The secret was right: its subject starts afresh (an earlier lock would have
    refused the attempt)."""
    db.session.execute(
        db.delete(AttemptCounter).where(
            AttemptCounter.kind == kind, AttemptCounter.subject == subject
        )
    )


def locks_of(account: Account) -> list[AttemptCounter]:
    """The locked journeys a director sees on the account page."""
    return list(
        db.session.scalars(
            db.select(AttemptCounter).where(
                AttemptCounter.account_id == account.id, AttemptCounter.locked_at.is_not(None)
            )
        )
    )


def lift(counter: AttemptCounter, *, actor: audit.Actor, now: dt.datetime) -> None:
    """A director lifts a lock: the parent may try again from scratch."""
    account = db.session.get(Account, counter.account_id) if counter.account_id else None
    audit.record(
        f"{counter.kind}.lock_lifted",
        actor=actor,
        now=now,
        accounts=[account] if account else [],
        details={"failures": counter.failures},
    )
    db.session.delete(counter)
