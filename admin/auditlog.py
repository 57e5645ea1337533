"""The audit log as a director reads it: who did what to which accounts, when, for
the selected school only — the actions done in it, what parents and the system did
to the accounts it sees, and the director's own actions; of each event, only the
accounts this school sees are named. Another school's director and accounts never
appear (SPEC §5: directors confined to their schools)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from accounts.audit_labels import action_label
from accounts.models import Account
from accounts.models import AuditEvent
from accounts.models import AuditEventAccount
from accounts.models import Director
from admin.search import visible_account_ids
from admin.spreadsheet import spreadsheet_safe
from kernel.clock import PARIS
from kernel.clock import paris
from kernel.extensions import db
from kernel.wording import agree
from registry.models import School

PAGE_SIZE = 50

ACTOR_TYPES = {
    "director": "Directeur",
    "guardian": "Responsable",
    "operator": "Opérateur",
    "system": "Système",
}
# Words older journal rows were written with, and their French.
_DETAIL_WORDS = {"letter": "courrier", "email": "courriel", "csv": "CSV", "pdf": "PDF"}
_WORD = re.compile(r"\b(" + "|".join(_DETAIL_WORDS) + r")\b")


def describe(summary: str) -> str:
    """An event's detail as a director reads it: counts agreed («2 comptes»), no
    English word (rows written before the wording was fixed included)."""
    return agree(_WORD.sub(lambda m: _DETAIL_WORDS[m.group(1)], summary or ""))


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    account: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc_midnight(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _query(school: School, director: Director, f: AuditFilter):
    touches_school = (
        db.select(AuditEventAccount.event_id)
        .where(AuditEventAccount.account_id.in_(visible_account_ids(school.id)))
        .scalar_subquery()
    )
    query = db.select(AuditEvent).where(
        or_(
            AuditEvent.school_id == school.id,
            and_(AuditEvent.school_id.is_(None), AuditEvent.id.in_(touches_school)),
            and_(AuditEvent.actor_type == "director", AuditEvent.actor_id == director.id),
        )
    )
    if f.actor.strip():
        query = query.where(AuditEvent.actor_label.ilike(f"%{f.actor.strip()}%"))
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.account.strip():
        wanted = (
            db.select(AuditEventAccount.event_id)
            .join(Account, Account.id == AuditEventAccount.account_id)
            .where(Account.identifier == f.account.strip().lower())
            .scalar_subquery()
        )
        query = query.where(AuditEvent.id.in_(wanted))
    if f.date_from:
        query = query.where(AuditEvent.at >= _utc_midnight(f.date_from))
    if f.date_to:
        query = query.where(AuditEvent.at < _utc_midnight(f.date_to + dt.timedelta(days=1)))
    return query


@dataclass(frozen=True)
class JournalLine:
    """An event as this school may read it: the accounts it sees, no others."""

    event: AuditEvent
    accounts: list[Account]

    def __getattr__(self, name):
        return getattr(self.event, name)


def page(
    school: School, director: Director, f: AuditFilter, number: int = 1
) -> tuple[list[JournalLine], int]:
    query = _query(school, director, f)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    events = db.session.scalars(
        query.options(selectinload(AuditEvent.accounts))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(1, number) - 1) * PAGE_SIZE)
    ).all()
    return _lines(school, events), total


def _lines(school: School, events: list[AuditEvent]) -> list[JournalLine]:
    named = {a.id for e in events for a in e.accounts}
    visible = set(
        db.session.scalars(
            db.select(Account.id).where(
                Account.id.in_(named), Account.id.in_(visible_account_ids(school.id))
            )
        )
    )
    return [JournalLine(e, [a for a in e.accounts if a.id in visible]) for e in events]


def actions_of(school: School, director: Director) -> list[str]:
    query = _query(school, director, AuditFilter()).subquery()
    return sorted(db.session.scalars(db.select(query.c.action).distinct()))


def to_csv(school: School, director: Director, f: AuditFilter) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("Date", "Auteur", "Type d'auteur", "Action", "Comptes", "Détail"))
    events = db.session.scalars(
        _query(school, director, f)
        .options(selectinload(AuditEvent.accounts))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    for line in _lines(school, events):
        writer.writerow(
            spreadsheet_safe(
                (
                    f"{paris(line.at):%d/%m/%Y %H:%M:%S}",
                    line.actor_label,
                    ACTOR_TYPES.get(line.actor_type, line.actor_type),
                    action_label(line.action),
                    " ".join(a.identifier for a in line.accounts),
                    describe(line.summary),
                )
            )
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
