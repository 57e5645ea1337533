"""The feed, loaded into temporary tables of the import's own transaction.

Checking a feed against itself (duplicate ids, links to unknown pupils) and
against the database (what changed) needs every id of the feed at hand. Kept in
Python, those ids would make the import's memory grow with the registry; kept
in temporary tables, the database does the comparing with its indexes, and the
import's memory stays flat however large the feed is. The tables live only in
the import's transaction: a refused feed leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import Connection

from kernel.names import folded_names
from registry import feed
from registry.eligibility import legal_link_criteria
from registry.models import Guardian
from registry.models import GuardianPupil
from registry.models import Pupil
from registry.models import School
from registry_import.bulk import insert_rows

BATCH_SIZE = 2000
metadata = MetaData()


def _copy(column) -> Column:
    """A staging column of the same database type as the model's (enums stored alike)."""
    return Column(column.name, column.type)


def _staging(name: str, *columns: Column) -> Table:
    return Table(
        name,
        metadata,
        Column("line", Integer, nullable=False),
        *columns,
        prefixes=["TEMPORARY"],
    )


schools = _staging(
    "feed_schools", *(_copy(School.__table__.c[c]) for c in ("uai", "name", "academy", "city"))
)
pupils = _staging(
    "feed_pupils",
    *(
        _copy(Pupil.__table__.c[c])
        for c in (
            "registry_id",
            "ine",
            "last_name",
            "first_name",
            "folded_last_name",
            "folded_first_name",
            "birth_date",
            "level",
        )
    ),
    _copy(Pupil.__table__.c.admission),
    Column("uai", String(8)),
    Column("class_name", String(60)),
    Column("school_id", Integer),
    Column("class_id", Integer),
)
guardians = _staging(
    "feed_guardians",
    *(
        _copy(Guardian.__table__.c[c])
        for c in ("registry_id", "last_name", "first_name", "mobile", "email", "address")
    ),
    Column("eligible", Boolean),
)
links = _staging(
    "feed_links",
    Column("pupil_rid", String(40)),
    Column("guardian_rid", String(40)),
    Column("is_legal", Boolean),
    Column("pupil_id", Integer),
    Column("guardian_id", Integer),
)
# The accounts given to a batch of guardian records, joined in one UPDATE.
account_of = Table(
    "feed_account_of",
    metadata,
    Column("guardian_id", Integer, primary_key=True),
    Column("account_id", Integer),
    prefixes=["TEMPORARY"],
)
# Registry ids of lines already reported, so that lines naming them are not reported again.
reported = Table(
    "feed_reported",
    metadata,
    Column("kind", String(20)),
    Column("registry_id", String(200)),
    prefixes=["TEMPORARY"],
)

TABLES = {feed.SCHOOLS: schools, feed.PUPILS: pupils, feed.GUARDIANS: guardians, feed.LINKS: links}
# Created with the tables (indexes on columns attach to their table).
INDEXES = [
    Index("ix_feed_schools_uai", schools.c.uai),
    Index("ix_feed_pupils_registry_id", pupils.c.registry_id),
    Index("ix_feed_guardians_registry_id", guardians.c.registry_id),
    Index("ix_feed_guardians_line", guardians.c.line),
    Index("ix_feed_links_pair", links.c.guardian_rid, links.c.pupil_rid),
    Index("ix_feed_links_pupil", links.c.pupil_rid),
    Index("ix_feed_links_ids", links.c.guardian_id, links.c.pupil_id),
    Index("ix_feed_reported", reported.c.kind, reported.c.registry_id),
]


def create(conn: Connection) -> None:
    drop(conn)
    metadata.create_all(conn)


def drop(conn: Connection) -> None:
    metadata.drop_all(conn, checkfirst=True)


# -- loading -------------------------------------------------------------------------


def _row_values(name: str, parsed) -> dict:
    if name == feed.SCHOOLS:
        return {"uai": parsed.uai, "name": parsed.name, "academy": parsed.academy,
                "city": parsed.city}  # fmt: skip
    if name == feed.PUPILS:
        names = folded_names(parsed.last_name, parsed.first_name)
        return parsed._asdict() | names | {"school_id": None, "class_id": None}
    if name == feed.GUARDIANS:
        return parsed._asdict() | {"eligible": False}
    return {
        "pupil_rid": parsed.pupil_registry_id,
        "guardian_rid": parsed.guardian_registry_id,
        "is_legal": parsed.is_legal,
        "pupil_id": None,
        "guardian_id": None,
    }


def load(
    conn: Connection,
    folder: Path,
    *,
    progress: Callable[[str, int], None],
    max_errors: int,
) -> list[feed.FeedError]:
    """Parse every file line by line into the staging tables; return the bad lines."""
    errors: list[feed.FeedError] = []
    for name, label in LABELS.items():
        bad_ids: list[dict] = []
        loaded = 0
        for chunk in _chunks(_parsed(folder, name, errors, bad_ids, max_errors), BATCH_SIZE):
            insert_rows(conn, TABLES[name], chunk, ids=False)
            loaded += len(chunk)
            progress(label, loaded)
        insert_rows(conn, reported, bad_ids, ids=False)
    if conn.dialect.name == "postgresql":
        # Temporary tables are never analysed by autovacuum: without statistics the
        # planner would take a hundred thousand rows for a handful.
        conn.exec_driver_sql("ANALYZE " + ", ".join(t.name for t in metadata.sorted_tables))
    return errors


LABELS = {
    feed.SCHOOLS: "écoles",
    feed.PUPILS: "élèves",
    feed.GUARDIANS: "responsables",
    feed.LINKS: "liens",
}


def _parsed(folder, name, errors, bad_ids, max_errors) -> Iterator[dict]:
    parse = feed.PARSERS[name]
    id_column = feed.ID_COLUMNS.get(name)
    try:
        for line, row in feed.read_rows(folder, name):
            try:
                parsed = parse(row)
            except feed.BadLine as bad:
                if len(errors) < max_errors:
                    errors.append(feed.FeedError(name, line, bad.reason))
                if id_column and row.get(id_column):
                    bad_ids.append({"kind": name, "registry_id": row[id_column][:200]})
                continue
            yield {"line": line, **_row_values(name, parsed)}
    except feed.FeedInvalid as invalid:
        errors.extend(invalid.errors)
    except UnicodeDecodeError:
        errors.append(feed.FeedError(name, 0, "le fichier n'est pas encodé en UTF-8"))


def _chunks(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while chunk := list(islice(rows, size)):
        yield chunk


# -- checks of the feed against itself ----------------------------------------------


def check(conn: Connection, *, max_errors: int) -> list[feed.FeedError]:
    """Duplicates and references to unknown schools, pupils or guardians, each with its
    file and line (a line may come out under several reasons)."""
    checks = [
        (feed.SCHOOLS, _duplicates(schools, schools.c.uai), "UAI en double : {}"),
        (feed.PUPILS, _duplicates(pupils, pupils.c.registry_id), "élève en double : {}"),
        (feed.PUPILS, _unknown(pupils, pupils.c.uai, schools.c.uai), "école inconnue : {}"),
        (
            feed.GUARDIANS,
            _duplicates(guardians, guardians.c.registry_id),
            "responsable en double : {}",
        ),
        (
            feed.LINKS,
            _unknown(links, links.c.pupil_rid, pupils.c.registry_id, skip=True),
            "élève inconnu : {}",
        ),
        (
            feed.LINKS,
            _unknown(links, links.c.guardian_rid, guardians.c.registry_id, skip=True),
            "responsable inconnu : {}",
        ),
        (feed.LINKS, _duplicates(links, links.c.pupil_rid, links.c.guardian_rid), "lien en double"),
    ]
    return [
        feed.FeedError(name, line, reason.format(value))
        for name, query, reason in checks
        for line, value in conn.execute(query.limit(max_errors))
    ]


def _duplicates(table: Table, *keys) -> select:
    """Lines repeating the key of an earlier line (the first stays, the others are bad)."""
    earlier = table.alias("earlier")
    return (
        select(table.c.line, keys[0])
        .where(
            exists().where(
                *(earlier.c[key.name] == key for key in keys), earlier.c.line < table.c.line
            )
        )
        .order_by(table.c.line)
    )


def _unknown(table: Table, reference, target, *, skip: bool = False) -> select:
    criteria = [~exists().where(target == reference)]
    if skip:  # a link naming a line already reported is not reported again
        criteria.append(
            ~exists().where(
                or_(
                    and_(
                        reported.c.kind == feed.PUPILS, reported.c.registry_id == links.c.pupil_rid
                    ),
                    and_(
                        reported.c.kind == feed.GUARDIANS,
                        reported.c.registry_id == links.c.guardian_rid,
                    ),
                )
            )
        )
    return select(table.c.line, reference).where(*criteria).order_by(table.c.line)


# -- what the import derives from the feed --------------------------------------------


def mark_eligible_guardians(conn: Connection) -> None:
    """SPEC §2: a feed's guardian record is eligible when it is the legal guardian of
    at least one eligible pupil. Asked of the registry tables once the import has
    written the feed's pupils, guardian records and links into them, with the
    criteria the console and the `children` claim use (`registry.eligibility`), so
    that the import never creates an account the console would not show."""
    conn.execute(
        update(guardians).values(
            eligible=exists().where(
                Guardian.registry_id == guardians.c.registry_id,
                GuardianPupil.guardian_id == Guardian.id,
                Pupil.id == GuardianPupil.pupil_id,
                *legal_link_criteria(),
            )
        )
    )


def count(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def changed(model_table: Table, stage: Table, columns: list[str]):
    """A row of the database differs from its feed row (nulls compared as values)."""
    return or_(*(model_table.c[c].is_distinct_from(stage.c[c]) for c in columns))
