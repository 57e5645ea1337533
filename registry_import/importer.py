"""The nightly registry import (SPEC §2, issue 3).

The feed is parsed line by line into temporary tables of the import's
transaction (registry_import.staging), checked there, then applied with set-based
statements: schools, classes, pupils, guardian records, links, then which
guardian records are eligible (asked of the tables just written, with the
criteria of registry.eligibility that the console and the claims use) and the Non
notifié accounts of the newly eligible ones. Keyed by registry ids, so a
re-import changes nothing; only rows whose content changed are written. What the
parent owns (the account's own email and mobile, password, state, origin,
identifier) is never touched. One transaction: a refused feed, or any failure,
leaves the database as it was.

Memory: no feed row and no registry id is kept in Python; the database compares.
What the import holds is one batch of rows at a time and the set of identifiers
already given (to hand out new ones without a query each).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from accounts import audit
from accounts import states
from accounts.identifiers import IdentifierAllocator
from accounts.models import Account
from accounts.models import AccountState
from accounts.passwords import PasswordService
from accounts.passwords import generate_temporary_password
from kernel.extensions import db
from kernel.names import fold_name
from kernel.names import folded_names
from kernel.wording import plural
from registry import feed
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass
from registry_import import staging
from registry_import.bulk import insert_rows

BATCH_SIZE = 2000
MAX_ERRORS = 10_000
Progress = Callable[[str, int], None]
# SQLAlchemy reads an INSERT … SELECT's row count only when asked to.
COUNT_ROWS = {"preserve_rowcount": True}

PUPIL_COLUMNS = [
    "ine",
    "last_name",
    "first_name",
    "folded_last_name",
    "folded_first_name",
    "birth_date",
    "school_id",
    "class_id",
    "level",
    "admission",
]
GUARDIAN_COLUMNS = ["last_name", "first_name", "mobile", "email", "address"]


@dataclass
class ImportReport:
    """What an import did; `created`…`withdrawn` count pupils and guardian records."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ineligible: int = 0
    withdrawn: int = 0
    accounts_created: int = 0
    details: dict = field(default_factory=dict)
    # Validation and application, for /metrics (registry_import.metrics).
    duration_seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def import_feed(
    folder: Path,
    *,
    now: dt.datetime,
    passwords: PasswordService,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Check then apply the feed in one transaction; raises feed.FeedInvalid (listing
    every bad line) with nothing written."""
    progress = progress or (lambda stage, count: None)
    folder = Path(folder)
    started = time.monotonic()
    try:
        missing = [name for name in feed.HEADERS if not (folder / name).is_file()]
        if missing:
            raise feed.FeedInvalid([feed.FeedError(name, 0, "fichier absent") for name in missing])
        conn = db.session.connection()
        staging.create(conn)
        errors = staging.load(conn, folder, progress=progress, max_errors=MAX_ERRORS)
        errors += staging.check(conn, max_errors=MAX_ERRORS)
        if errors:
            raise feed.FeedInvalid(_first_reason_per_line(errors))
        report = _ImportRun(conn, now=now, passwords=passwords, batch_size=batch_size).apply()
        staging.drop(conn)
        report.duration_seconds = round(time.monotonic() - started, 3)
        audit.record(
            "registry.imported",
            actor=audit.SYSTEM,
            now=now,
            summary=plural(report.accounts_created, "compte créé", "comptes créés"),
            details=report.as_dict(),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _first_reason_per_line(errors: list[feed.FeedError]) -> list[feed.FeedError]:
    """Each bad line once, with its first reason, in file then line order."""
    order = list(feed.HEADERS)
    first: dict[tuple[str, int], feed.FeedError] = {}
    for error in errors:
        first.setdefault((error.file, error.line), error)
    return sorted(first.values(), key=lambda e: (order.index(e.file), e.line))


def sibling_key(last_name: str, first_name: str, email: str | None, mobile: str | None):
    """SPEC §2 / 002: records whose names, email and mobile are all identical are one
    person. Without both an email and a mobile there is nothing to prove it."""
    if not email or not mobile:
        return None
    return (fold_name(last_name), fold_name(first_name), email, mobile)


class _ImportRun:
    def __init__(self, conn, *, now, passwords, batch_size):
        self.conn = conn
        self.now = now
        self.passwords = passwords
        self.batch_size = batch_size
        self.report = ImportReport()

    def apply(self) -> ImportReport:
        self._schools()
        self._classes()
        self._pupils()
        self._guardians()
        self._links()
        self._eligibility()
        self._accounts()
        return self.report

    # -- schools and classes: a few hundred rows, compared here ----------------------
    def _schools(self) -> None:
        existing = {
            r.uai: r
            for r in self.conn.execute(
                select(School.id, School.uai, School.name, School.academy, School.city)
            )
        }
        created = updated = 0
        stage = staging.schools
        for row in self.conn.execute(
            select(stage.c.uai, stage.c.name, stage.c.academy, stage.c.city)
        ).all():
            values = {"name": row.name, "academy": row.academy, "city": row.city}
            current = existing.get(row.uai)
            if current is None:
                self.conn.execute(insert(School).values(uai=row.uai, **values))
                created += 1
            elif (current.name, current.academy, current.city) != tuple(values.values()):
                self.conn.execute(update(School).where(School.id == current.id).values(values))
                updated += 1
        self.report.details["schools"] = {"created": created, "updated": updated}

    def _classes(self) -> None:
        """Each pupil row learns its school's id; new classes are created, then each
        row learns its class's id."""
        stage = staging.pupils
        self.conn.execute(
            update(stage).values(
                school_id=select(School.id).where(School.uai == stage.c.uai).scalar_subquery()
            )
        )
        wanted = (
            select(stage.c.school_id, stage.c.class_name)
            .where(
                stage.c.class_name.is_not(None),
                ~exists().where(
                    SchoolClass.school_id == stage.c.school_id,
                    SchoolClass.name == stage.c.class_name,
                ),
            )
            .distinct()
        )
        self.conn.execute(insert(SchoolClass).from_select(["school_id", "name"], wanted))
        self.conn.execute(
            update(stage).values(
                class_id=select(SchoolClass.id)
                .where(
                    SchoolClass.school_id == stage.c.school_id,
                    SchoolClass.name == stage.c.class_name,
                )
                .scalar_subquery()
            )
        )

    # -- pupils and guardian records: compared and written by the database -------------
    def _pupils(self) -> None:
        counts = self._upsert(Pupil.__table__, staging.pupils, PUPIL_COLUMNS)
        self._add_counts("pupils", counts)

    def _guardians(self) -> None:
        counts = self._upsert(Guardian.__table__, staging.guardians, GUARDIAN_COLUMNS)
        self._add_counts("guardians", counts)

    def _eligibility(self) -> None:
        """Which of the feed's guardian records are eligible (SPEC §2), once pupils,
        records and links are written; count those that get no account."""
        staging.mark_eligible_guardians(self.conn)
        stage = staging.guardians
        ineligible = self.conn.execute(
            select(db.func.count())
            .select_from(stage)
            .where(
                stage.c.eligible.is_(False),
                ~exists().where(
                    Guardian.registry_id == stage.c.registry_id, Guardian.account_id.is_not(None)
                ),
            )
        ).scalar_one()
        self.report.details["guardians"]["ineligible"] = ineligible
        self.report.ineligible += ineligible

    def _upsert(self, table, stage, columns: list[str]) -> dict:
        """Update the rows that changed (or come back), insert the new ones, mark the
        ones gone from the feed withdrawn; count each."""
        total = staging.count(self.conn, stage)
        updated = self.conn.execute(
            update(table)
            .where(
                table.c.registry_id == stage.c.registry_id,
                staging.changed(table, stage, columns) | table.c.withdrawn_at.is_not(None),
            )
            .values({c: stage.c[c] for c in columns} | {"withdrawn_at": None})
        ).rowcount
        created = self.conn.execute(
            insert(table).from_select(
                ["registry_id", *columns],
                select(stage.c.registry_id, *(stage.c[c] for c in columns))
                .where(~exists().where(table.c.registry_id == stage.c.registry_id))
                .order_by(stage.c.line),
            ),
            execution_options=COUNT_ROWS,
        ).rowcount
        withdrawn = self.conn.execute(
            update(table)
            .where(
                table.c.withdrawn_at.is_(None),
                ~exists().where(stage.c.registry_id == table.c.registry_id),
            )
            .values(withdrawn_at=self.now)
        ).rowcount
        return {
            "created": created,
            "updated": updated,
            "unchanged": total - created - updated,
            "withdrawn": withdrawn,
        }

    # -- accounts of newly eligible guardians ----------------------------------------
    def _accounts(self) -> None:
        """Eligible records without an account, in feed order, a batch at a time: a
        sibling's account when one exists (SPEC §2 grouping), else a new account."""
        self.allocator = IdentifierAllocator(
            self.conn.execute(
                select(Account.identifier).execution_options(stream_results=True, yield_per=5000)
            ).scalars()
        )
        stage = staging.guardians
        query = (
            select(
                Guardian.id,
                stage.c.line,
                stage.c.last_name,
                stage.c.first_name,
                stage.c.email,
                stage.c.mobile,
            )
            .join(stage, stage.c.registry_id == Guardian.registry_id)
            .where(Guardian.account_id.is_(None), stage.c.eligible.is_(True))
            .order_by(stage.c.line)
            .limit(self.batch_size)
        )
        last_line = 0
        # One batch per query, resuming after the last feed line seen (the batch's own
        # writes change the rows the next query reads).
        while batch := self.conn.execute(query.where(stage.c.line > last_line)).all():
            account_of = self._accounts_for(batch)
            self._attach(account_of)
            last_line = batch[-1].line

    def _attach(self, account_of: dict[int, int]) -> None:
        """guardians.account_id for a batch, in one UPDATE joined to the batch's pairs
        (COPY on PostgreSQL), not 2,000 single-row updates."""
        pairs = staging.account_of
        insert_rows(
            self.conn,
            pairs,
            [{"guardian_id": g, "account_id": a} for g, a in account_of.items()],
            ids=False,
        )
        self.conn.execute(
            update(Guardian)
            .where(Guardian.id == pairs.c.guardian_id)
            .values(account_id=pairs.c.account_id)
        )
        self.conn.execute(delete(pairs))

    def _accounts_for(self, batch) -> dict[int, int]:
        groups = self._existing_groups(batch)
        account_of: dict[int, int] = {}
        creators, followers = [], []
        created_keys: set[tuple] = set()
        for row in batch:
            key = sibling_key(row.last_name, row.first_name, row.email, row.mobile)
            if key is not None and key in groups:
                account_of[row.id] = groups[key]
            elif key is not None and key in created_keys:
                followers.append((row, key))
            else:
                creators.append((row, key))
                if key is not None:
                    created_keys.add(key)
        ids = self._create_accounts([row for row, _ in creators])
        for (row, key), account_id in zip(creators, ids, strict=True):
            account_of[row.id] = account_id
            if key is not None:
                groups[key] = account_id
        for row, key in followers:
            account_of[row.id] = groups[key]
        return account_of

    def _existing_groups(self, batch) -> dict[tuple, int]:
        """Grouping keys of the live accounts' records that share an address with the batch."""
        emails = {row.email for row in batch if row.email and row.mobile}
        if not emails:
            return {}
        rows = self.conn.execute(
            select(
                Guardian.last_name,
                Guardian.first_name,
                Guardian.email,
                Guardian.mobile,
                Guardian.account_id,
            )
            .join(Account, Account.id == Guardian.account_id)
            .where(Account.state != AccountState.DELETED, Guardian.email.in_(emails))
        )
        groups: dict[tuple, int] = {}
        for r in rows:
            key = sibling_key(r.last_name, r.first_name, r.email, r.mobile)
            if key is not None:
                groups.setdefault(key, r.account_id)
        return groups

    def _create_accounts(self, guardians) -> list[int]:
        """Non notifié accounts with an identifier and an encrypted temporary password;
        no argon2 here (see accounts.passwords). Not through
        `accounts.password_changes.issue_temporary_passwords` on purpose: these
        accounts are inserted by the thousand in one statement, their password is not
        a reset (no audit row each) and is not distributed yet (no issue date: its
        validity starts when the school notifies them)."""
        initial = states.initial_columns()
        rows = [
            {
                "identifier": self.allocator.allocate(g.first_name, g.last_name),
                "first_name": g.first_name,
                "last_name": g.last_name,
                **folded_names(g.last_name, g.first_name),
                **initial,
                "temporary_password_encrypted": self.passwords.box.encrypt(
                    generate_temporary_password()
                ),
                "temporary_password_issued_on": None,
                "must_change_password": True,
                "email_verified": False,
                "mobile_verified": False,
                "created_at": self.now,
            }
            for g in guardians
        ]
        ids = insert_rows(self.conn, Account.__table__, rows, ids=True)
        self.report.accounts_created += len(ids)
        return ids

    # -- links ---------------------------------------------------------------------
    def _links(self) -> None:
        stage = staging.links
        self.conn.execute(
            update(stage).values(
                pupil_id=select(Pupil.id)
                .where(Pupil.registry_id == stage.c.pupil_rid)
                .scalar_subquery(),
                guardian_id=select(Guardian.id)
                .where(Guardian.registry_id == stage.c.guardian_rid)
                .scalar_subquery(),
            )
        )
        same_pair = (
            GuardianPupil.guardian_id == stage.c.guardian_id,
            GuardianPupil.pupil_id == stage.c.pupil_id,
        )
        updated = self.conn.execute(
            update(GuardianPupil)
            .where(*same_pair, GuardianPupil.is_legal != stage.c.is_legal)
            .values(is_legal=stage.c.is_legal)
        ).rowcount
        created = self.conn.execute(
            insert(GuardianPupil).from_select(
                ["guardian_id", "pupil_id", "is_legal"],
                select(stage.c.guardian_id, stage.c.pupil_id, stage.c.is_legal).where(
                    ~exists().where(*same_pair)
                ),
            ),
            execution_options=COUNT_ROWS,
        ).rowcount
        removed = self.conn.execute(
            delete(GuardianPupil).where(~exists().where(*same_pair))
        ).rowcount
        self.report.details["links"] = {"created": created, "updated": updated, "removed": removed}

    def _add_counts(self, kind: str, counts: dict) -> None:
        self.report.details[kind] = counts
        self.report.created += counts["created"]
        self.report.updated += counts["updated"]
        self.report.unchanged += counts["unchanged"]
        self.report.withdrawn += counts["withdrawn"]
