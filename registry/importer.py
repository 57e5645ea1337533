"""The nightly registry import (SPEC §2, issue 3).

Validates the whole feed first (registry.feed), then applies it in one
transaction with bulk SQL: schools, classes, pupils, guardian records, links,
and the Non notifié accounts of newly eligible guardians. Keyed by registry
ids, so a re-import changes nothing; rows are compared by their content and
only the changed ones are written. What the parent owns (the account's own
email and mobile, password, state, origin, identifier) is never touched.

Memory: rows are streamed in batches and never become ORM objects; what stays
in memory is one small tuple per registry record (its id and a hash of its
content, to compare against), so memory grows slowly with the registry and not
with the feed's text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from itertools import islice
from pathlib import Path

from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy import update

from accounts import audit
from accounts import states
from accounts.identifiers import IdentifierAllocator
from accounts.models import Account
from accounts.models import AccountState
from accounts.passwords import PasswordService
from accounts.passwords import generate_temporary_password
from idp.extensions import db
from registry import feed
from registry.bulk import insert_rows
from registry.matching import fold_name
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School
from registry.models import SchoolClass

BATCH_SIZE = 2000
Progress = Callable[[str, int], None]


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
    """Validate then apply the feed in one transaction; raises feed.FeedInvalid untouched."""
    spool = feed.Spool()
    try:
        summary = feed.validate_feed(Path(folder), spool=spool)
        run = _ImportRun(
            spool,
            summary,
            now=now,
            passwords=passwords,
            batch_size=batch_size,
            progress=progress or (lambda stage, count: None),
        )
        report = run.apply()
        audit.record(
            "registry.imported",
            actor=audit.SYSTEM,
            now=now,
            summary=f"{report.accounts_created} compte(s) créé(s)",
            details=report.as_dict(),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        spool.close()
    return report


def sibling_key(row: feed.GuardianRow) -> tuple | None:
    """SPEC §2 / 002: records whose names, email and mobile are all identical are one
    person. Without both an email and a mobile there is nothing to prove it."""
    if not row.email or not row.mobile:
        return None
    return (fold_name(row.last_name), fold_name(row.first_name), row.email, row.mobile)


class _ImportRun:
    def __init__(self, spool, summary, *, now, passwords, batch_size, progress):
        self.spool = spool
        self.summary = summary
        self.now = now
        self.passwords = passwords
        self.batch_size = batch_size
        self.progress = progress
        self.conn = db.session.connection()
        self.report = ImportReport()
        self.school_ids: dict[str, int] = {}
        self.class_ids: dict[tuple[int, str], int] = {}
        self.pupil_ids: dict[str, int] = {}
        self.guardian_ids: dict[str, int] = {}

    def apply(self) -> ImportReport:
        self._schools()
        self._classes()
        self._pupils()
        self._guardians()
        self._links()
        return self.report

    # -- schools and classes -------------------------------------------------------
    def _schools(self) -> None:
        existing = {
            r.uai: r
            for r in self.conn.execute(
                select(School.id, School.uai, School.name, School.academy, School.city)
            )
        }
        created = updated = 0
        for school in self.spool.rows(feed.SCHOOLS):
            current = existing.get(school.uai)
            values = {"name": school.name, "academy": school.academy, "city": school.city}
            if current is None:
                self.school_ids[school.uai] = self.conn.execute(
                    insert(School).values(uai=school.uai, **values).returning(School.id)
                ).scalar_one()
                created += 1
            else:
                self.school_ids[school.uai] = current.id
                if (current.name, current.academy, current.city) != tuple(values.values()):
                    self.conn.execute(update(School).where(School.id == current.id).values(values))
                    updated += 1
        self.report.details["schools"] = {"created": created, "updated": updated}
        self.class_ids = {
            (r.school_id, r.name): r.id
            for r in self.conn.execute(
                select(SchoolClass.id, SchoolClass.school_id, SchoolClass.name)
            )
        }

    def _classes(self) -> None:
        """Create the feed's new classes in one go before the pupils that sit in them."""
        missing: dict[tuple[int, str], dict] = {}
        for pupil in self.spool.rows(feed.PUPILS):
            if pupil.class_name:
                key = (self.school_ids[pupil.uai], pupil.class_name)
                if key not in self.class_ids and key not in missing:
                    missing[key] = {"school_id": key[0], "name": key[1]}
        rows = list(missing.values())
        new_ids = insert_rows(self.conn, SchoolClass.__table__, rows, ids=True)
        for key, new_id in zip(missing, new_ids, strict=True):
            self.class_ids[key] = new_id

    def _class_id(self, school_id: int, name: str | None) -> int | None:
        return self.class_ids[(school_id, name)] if name else None

    # -- pupils ----------------------------------------------------------------------
    def _pupils(self) -> None:
        columns = (
            Pupil.ine,
            Pupil.last_name,
            Pupil.first_name,
            Pupil.birth_date,
            Pupil.school_id,
            Pupil.class_id,
            Pupil.level,
            Pupil.admission,
        )
        existing = {
            r.registry_id: (r.id, hash(tuple(r[2:-1])), r.withdrawn_at is None)
            for r in self._stream(select(Pupil.registry_id, Pupil.id, *columns, Pupil.withdrawn_at))
        }
        counts = {"created": 0, "updated": 0, "unchanged": 0, "withdrawn": 0}
        seen = 0
        for batch in _batches(self.spool.rows(feed.PUPILS), self.batch_size):
            new_rows, changed_rows = [], []
            for pupil in batch:
                school_id = self.school_ids[pupil.uai]
                values = (
                    pupil.ine,
                    pupil.last_name,
                    pupil.first_name,
                    pupil.birth_date,
                    school_id,
                    self._class_id(school_id, pupil.class_name),
                    pupil.level,
                    pupil.admission,
                )
                row = dict(
                    zip(
                        (
                            "ine",
                            "last_name",
                            "first_name",
                            "birth_date",
                            "school_id",
                            "class_id",
                            "level",
                            "admission",
                        ),
                        values,
                        strict=True,
                    )
                )
                current = existing.pop(pupil.registry_id, None)
                if current is None:
                    new_rows.append({"registry_id": pupil.registry_id, **row})
                elif current[1] != hash(values) or not current[2]:
                    self.pupil_ids[pupil.registry_id] = current[0]
                    changed_rows.append({"_id": current[0], **row, "withdrawn_at": None})
                else:
                    self.pupil_ids[pupil.registry_id] = current[0]
                    counts["unchanged"] += 1
            new_ids = insert_rows(self.conn, Pupil.__table__, new_rows, ids=True)
            for row, new_id in zip(new_rows, new_ids, strict=True):
                self.pupil_ids[row["registry_id"]] = new_id
            if changed_rows:
                self.conn.execute(update(Pupil).where(Pupil.id == bindparam("_id")), changed_rows)
            counts["created"] += len(new_rows)
            counts["updated"] += len(changed_rows)
            seen += len(batch)
            self.progress("élèves", seen)
        gone = [value[0] for value in existing.values() if value[2]]
        self._withdraw(Pupil, gone)
        counts["withdrawn"] = len(gone)
        self._add_counts("pupils", counts)

    # -- guardian records and accounts -------------------------------------------------
    def _guardians(self) -> None:
        columns = (
            Guardian.last_name,
            Guardian.first_name,
            Guardian.mobile,
            Guardian.email,
            Guardian.address,
        )
        existing = {
            r.registry_id: (r.id, hash(tuple(r[3:8])), r.account_id, r.withdrawn_at is None)
            for r in self._stream(
                select(
                    Guardian.registry_id,
                    Guardian.id,
                    Guardian.account_id,
                    *columns,
                    Guardian.withdrawn_at,
                )
            )
        }
        self.group_accounts = self._existing_groups()
        self.allocator = IdentifierAllocator(self._stream(select(Account.identifier)).scalars())
        counts = {"created": 0, "updated": 0, "unchanged": 0, "withdrawn": 0, "ineligible": 0}
        seen = 0
        for batch in _batches(self.spool.rows(feed.GUARDIANS), self.batch_size):
            new_rows, changed_rows, need_account = [], [], []
            for guardian in batch:
                values = (
                    guardian.last_name,
                    guardian.first_name,
                    guardian.mobile,
                    guardian.email,
                    guardian.address,
                )
                row = dict(
                    zip(
                        ("last_name", "first_name", "mobile", "email", "address"),
                        values,
                        strict=True,
                    )
                )
                current = existing.pop(guardian.registry_id, None)
                eligible = guardian.registry_id in self.summary.eligible_guardians
                has_account = current is not None and current[2] is not None
                if eligible and not has_account:
                    need_account.append(guardian)
                elif not eligible and not has_account:
                    counts["ineligible"] += 1
                if current is None:
                    new_rows.append(
                        {"registry_id": guardian.registry_id, **row, "account_id": None}
                    )
                elif current[1] != hash(values) or not current[3]:
                    self.guardian_ids[guardian.registry_id] = current[0]
                    changed_rows.append({"_id": current[0], **row, "withdrawn_at": None})
                else:
                    self.guardian_ids[guardian.registry_id] = current[0]
                    counts["unchanged"] += 1
            account_of = self._accounts_for(need_account)
            for row in new_rows:
                row["account_id"] = account_of.get(row["registry_id"])
            new_ids = insert_rows(self.conn, Guardian.__table__, new_rows, ids=True)
            for row, new_id in zip(new_rows, new_ids, strict=True):
                self.guardian_ids[row["registry_id"]] = new_id
            if changed_rows:
                self.conn.execute(
                    update(Guardian).where(Guardian.id == bindparam("_id")), changed_rows
                )
            inserted = {r["registry_id"] for r in new_rows}
            attach = [
                {"_id": self.guardian_ids[g.registry_id], "account_id": account_of[g.registry_id]}
                for g in need_account
                if g.registry_id not in inserted
            ]
            if attach:
                self.conn.execute(update(Guardian).where(Guardian.id == bindparam("_id")), attach)
            counts["created"] += len(new_rows)
            counts["updated"] += len(changed_rows)
            seen += len(batch)
            self.progress("responsables", seen)
        gone = [value[0] for value in existing.values() if value[3]]
        self._withdraw(Guardian, gone)
        counts["withdrawn"] = len(gone)
        self.report.ineligible += counts["ineligible"]
        self._add_counts("guardians", counts)

    def _existing_groups(self) -> dict[tuple, int]:
        """Sibling-grouping keys of the records that already hold a live account."""
        rows = self.conn.execute(
            select(
                Guardian.last_name,
                Guardian.first_name,
                Guardian.email,
                Guardian.mobile,
                Guardian.account_id,
            )
            .join(Account, Account.id == Guardian.account_id)
            .where(
                Account.state != AccountState.DELETED,
                Guardian.email.is_not(None),
                Guardian.mobile.is_not(None),
            )
        )
        groups: dict[tuple, int] = {}
        for r in rows:
            key = (fold_name(r.last_name), fold_name(r.first_name), r.email, r.mobile)
            groups.setdefault(key, r.account_id)
        return groups

    def _accounts_for(self, guardians: list[feed.GuardianRow]) -> dict[str, int]:
        """Account id per guardian registry id: a sibling's account, else a new one."""
        account_of: dict[str, int] = {}
        creators: list[tuple[feed.GuardianRow, tuple | None]] = []
        followers: list[tuple[feed.GuardianRow, tuple]] = []
        created_keys: set[tuple] = set()
        for guardian in guardians:
            key = sibling_key(guardian)
            if key is not None and key in self.group_accounts:
                account_of[guardian.registry_id] = self.group_accounts[key]
            elif key is not None and key in created_keys:
                followers.append((guardian, key))
            else:
                creators.append((guardian, key))
                if key is not None:
                    created_keys.add(key)
        if creators:
            ids = self._create_accounts([guardian for guardian, _ in creators])
            for (guardian, key), account_id in zip(creators, ids, strict=True):
                account_of[guardian.registry_id] = account_id
                if key is not None:
                    self.group_accounts[key] = account_id
        for guardian, key in followers:
            account_of[guardian.registry_id] = self.group_accounts[key]
        return account_of

    def _create_accounts(self, guardians: list[feed.GuardianRow]) -> list[int]:
        """Non notifié accounts with an identifier and an encrypted temporary password;
        no argon2 here (see accounts.passwords)."""
        initial = states.initial_columns()
        rows = [
            {
                "identifier": self.allocator.allocate(g.first_name, g.last_name),
                "first_name": g.first_name,
                "last_name": g.last_name,
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
        existing = {
            (r.guardian_id, r.pupil_id): r.is_legal
            for r in self._stream(
                select(GuardianPupil.guardian_id, GuardianPupil.pupil_id, GuardianPupil.is_legal)
            )
        }
        created = updated = 0
        seen = 0
        for batch in _batches(self.spool.rows(feed.LINKS), self.batch_size):
            new_rows, changed_rows = [], []
            for link in batch:
                key = (
                    self.guardian_ids[link.guardian_registry_id],
                    self.pupil_ids[link.pupil_registry_id],
                )
                current = existing.pop(key, None)
                if current is None:
                    new_rows.append(
                        {"guardian_id": key[0], "pupil_id": key[1], "is_legal": link.is_legal}
                    )
                elif current != link.is_legal:
                    changed_rows.append({"_g": key[0], "_p": key[1], "is_legal": link.is_legal})
            insert_rows(self.conn, GuardianPupil.__table__, new_rows, ids=False)
            if changed_rows:
                self.conn.execute(
                    update(GuardianPupil).where(
                        GuardianPupil.guardian_id == bindparam("_g"),
                        GuardianPupil.pupil_id == bindparam("_p"),
                    ),
                    changed_rows,
                )
            created += len(new_rows)
            updated += len(changed_rows)
            seen += len(batch)
            self.progress("liens", seen)
        removed = list(existing)
        for chunk in _batches(iter(removed), 500):
            self.conn.execute(
                delete(GuardianPupil).where(
                    tuple_(GuardianPupil.guardian_id, GuardianPupil.pupil_id).in_(chunk)
                )
            )
        self.report.details["links"] = {
            "created": created,
            "updated": updated,
            "removed": len(removed),
        }

    # -- helpers -------------------------------------------------------------------
    def _stream(self, statement):
        """Rows fetched in chunks (a server-side cursor on PostgreSQL), not all at once."""
        return self.conn.execute(statement.execution_options(stream_results=True, yield_per=5000))

    def _withdraw(self, model, ids: list[int]) -> None:
        for chunk in _batches(iter(ids), 1000):
            self.conn.execute(
                update(model).where(model.id.in_(chunk)).values(withdrawn_at=self.now)
            )

    def _add_counts(self, kind: str, counts: dict) -> None:
        self.report.details[kind] = counts
        self.report.created += counts["created"]
        self.report.updated += counts["updated"]
        self.report.unchanged += counts["unchanged"]
        self.report.withdrawn += counts["withdrawn"]


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch
