"""The directors' console at scale (issue 7): search, letters and statistics.

    .venv/bin/python bench/admin_console.py search-letters      # SQLite in a temp folder
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/guichet_admin_bench \
        .venv/bin/python bench/admin_console.py search-letters
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/guichet_admin_bench \
        .venv/bin/python bench/admin_console.py stats [ACCOUNTS]   # default 1,000,000

search-letters: 11 schools of 3,000 pupils (about 4,000 guardian accounts each);
a director of the first one searches through the real HTTP stack (Flask test
client: routing, session, query, template), with the default criteria, sorted
by every column both ways, a text search and the last page; then (re)notifies
1,000 accounts by letter and downloads the PDF (1,000 pages).

stats: PostgreSQL only. Fills ACCOUNTS accounts (one guardian record each, a
third of them with a second child) over ACCOUNTS/1,400 schools with SQL
`generate_series`, then times `guichet stats compute` for every school.

The database named in DATABASE_URL is dropped and created again.
Results: docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from accounts.models import Account
from accounts.models import Director
from admin import stats
from admin.search import classes_of
from admin.search import visible_account_ids
from guichet import create_app
from guichet.migrations import upgrade
from kernel import runtime
from kernel.extensions import db
from kernel.names import folded_names
from registry.models import School

NOW = dt.datetime(2026, 11, 24, 9, 30)
LEVELS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
STATES = ["NOT_NOTIFIED", "NOTIFIED", "ACTIVATING", "ACTIVATED"]
ORIGIN_OF = {
    "NOT_NOTIFIED": "UNKNOWN",
    "NOTIFIED": "SCHOOL",
    "ACTIVATING": "SCHOOL",
    "ACTIVATED": "SCHOOL",
}


def fresh_database() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()
    return base.render_as_string(hide_password=False)


def make_app(url: str):
    instance = Path(tempfile.mkdtemp(prefix="guichet-bench-instance-"))
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_TIME_COST": "1",
            "REDIS_URL": "",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
    return app


def populate(schools: int, pupils_per_school: int, seed: int = 7) -> None:
    """Families of one to three children with one or two legal guardians, each guardian
    with their own account in a random state; inserted with Core executemany."""
    rng = random.Random(seed)
    t = {
        name: db.metadata.tables[name]
        for name in (
            "schools",
            "school_classes",
            "pupils",
            "accounts",
            "guardians",
            "guardian_pupils",
        )
    }
    school_rows, class_rows, pupil_rows = [], [], []
    account_rows, guardian_rows, link_rows = [], [], []
    pupil_id = account_id = 0
    for s in range(1, schools + 1):
        school_rows.append(
            {"id": s, "uai": f"{s:07d}B", "name": f"École {s}", "academy": "Bench", "city": "Bench"}
        )
        classes = []
        for c in range(12):
            cid = (s - 1) * 12 + c + 1
            class_rows.append({"id": cid, "school_id": s, "name": f"{LEVELS[c % 8]} {c // 8 + 1}"})
            classes.append((cid, LEVELS[c % 8]))
        made = 0
        while made < pupils_per_school:
            size = min(rng.choice([1, 1, 2, 2, 3]), pupils_per_school - made)
            last = f"NOM{s:03d}{made:05d}"
            kids = []
            for k in range(size):
                pupil_id += 1
                cid, level = rng.choice(classes)
                pupil_rows.append(
                    {
                        "id": pupil_id,
                        "registry_id": f"P{pupil_id}",
                        "ine": f"{pupil_id:09d}AB",
                        "last_name": last,
                        "first_name": f"Enfant{k}",
                        **folded_names(last, f"Enfant{k}"),
                        "birth_date": dt.date(2017, 1, 1),
                        "school_id": s,
                        "class_id": cid,
                        "level": level,
                        "admission": "DEFINITIVE",
                        "withdrawn_at": None,
                    }
                )
                kids.append(pupil_id)
            made += size
            for g in range(rng.choice([1, 2, 2])):
                account_id += 1
                state = rng.choice(STATES)
                account_rows.append(
                    {
                        "id": account_id,
                        "identifier": f"b.{account_id}",
                        "first_name": f"Parent{g}",
                        "last_name": last,
                        **folded_names(last, f"Parent{g}"),
                        "state": state,
                        "origin": ORIGIN_OF[state],
                        "must_change_password": state in ("NOT_NOTIFIED", "NOTIFIED"),
                        "email_verified": False,
                        "mobile_verified": False,
                        "created_at": NOW,
                        "distribution_date": None if state == "NOT_NOTIFIED" else NOW.date(),
                        "temporary_password_encrypted": None,
                    }
                )
                guardian_rows.append(
                    {
                        "id": account_id,
                        "registry_id": f"G{account_id}",
                        "last_name": last,
                        "first_name": f"Parent{g}",
                        "account_id": account_id,
                        "email": f"p{account_id}@example.org" if rng.random() < 0.6 else None,
                        "mobile": None,
                        "address": None,
                        "withdrawn_at": None,
                    }
                )
                link_rows.extend(
                    {"guardian_id": account_id, "pupil_id": p, "is_legal": True} for p in kids
                )
    with db.engine.begin() as conn:
        for name, rows in [
            ("schools", school_rows),
            ("school_classes", class_rows),
            ("pupils", pupil_rows),
            ("accounts", account_rows),
            ("guardians", guardian_rows),
            ("guardian_pupils", link_rows),
        ]:
            for start in range(0, len(rows), 5000):
                conn.execute(t[name].insert(), rows[start : start + 5000])
        if conn.dialect.name == "postgresql":
            for name in t:
                if name != "guardian_pupils":
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
            conn.execute(sa.text("ANALYZE"))
    print(
        f"  {schools} schools, {len(pupil_rows)} pupils, {len(account_rows)} accounts, "
        f"{len(link_rows)} links"
    )


def timed(fn, repeat=1):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return result, times


def search_letters() -> None:
    url = fresh_database()
    app = make_app(url)
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{dialect}: populating…")
    with app.app_context():
        start = time.perf_counter()
        populate(11, 3000)
        print(f"  populated in {time.perf_counter() - start:.1f} s")

        director = Director(
            identifier="d.bench",
            first_name="D",
            last_name="Bench",
            password_hash=runtime.passwords().hash("Bench12345"),
            created_at=NOW,
        )
        director.schools = [db.session.get(School, 1)]
        db.session.add(director)
        db.session.commit()
    client = app.test_client()
    client.post("/admin/connexion", data={"identifier": "d.bench", "password": "Bench12345"})
    with app.app_context():
        classes = [str(c.id) for c in classes_of(db.session.get(School, 1))]
    base = {
        "rechercher": "1",
        "q": "",
        "classe": classes,
        "etat": [s.lower() for s in STATES],
        "messagerie": ["avec", "sans"],
        "origine": ["school", "guardian", "franceconnect", "unknown"],
    }
    rows = []

    def get(**extra):
        response = client.get("/admin/responsables", query_string={**base, **extra})
        assert response.status_code == 200, response.status_code
        return response

    get()  # warm-up
    for label, extra in (
        [("default (Élève ▲)", {})]
        + [
            (f"tri {key} {order}", {"tri": key, "ordre": order})
            for key in [
                "eleve",
                "classe",
                "responsable",
                "identifiant",
                "messagerie",
                "origine",
                "etat",
                "distribution",
                "acces",
            ]
            for order in ["asc", "desc"]
        ]
        + [
            ("texte « nom0010 »", {"q": "nom0010"}),
            ("texte « Parent1 NOM00100010 »", {"q": "Parent1 NOM00100010"}),
            ("texte « b.1234 »", {"q": "b.1234"}),
            ("dernière page", {"page": "200"}),
        ]
    ):
        _, times = timed(lambda extra=extra: get(**extra), repeat=5)
        rows.append((label, statistics.median(times), max(times)))
    page = get().get_data(as_text=True)
    import re

    total = re.search(r"sur (\d+) élève\(s\)", page).group(1)
    print(f"  search on school 1 ({total} pupil–guardian rows), ms median / max of 5:")
    for label, median, worst in rows:
        print(f"    {label:28s} {median:7.1f} {worst:7.1f}")

    with app.app_context():
        ids = list(
            db.session.scalars(
                sa.select(Account.id)
                .where(Account.id.in_(visible_account_ids(1)))
                .order_by(Account.id)
                .limit(1000)
            )
        )
    response, [notify_ms] = timed(
        lambda: client.post(
            "/admin/responsables/notifier", data={"ids": ids, "channel": "letter", "origin": "list"}
        )
    )
    link = re.search(r'href="(/admin/courriers/[0-9a-f]+\.pdf)"', response.get_data(as_text=True))
    pdf, [pdf_ms] = timed(lambda: client.get(link.group(1)))
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf.data)).pages)
    print(
        f"  (re)notify {len(ids)} accounts by letter: {notify_ms:.0f} ms; "
        f"PDF download ({pages} pages, {len(pdf.data) // 1024} KiB): {pdf_ms:.0f} ms"
    )


def generation_sql(schools: int, pupils: int, accounts: int) -> list[str]:
    """PostgreSQL statements filling every table of the statistics in bulk."""
    s, p, a = schools, pupils, accounts
    levels = "ARRAY['PS','MS','GS','CP','CE1','CE2','CM1','CM2']"
    states = "ARRAY['NOT_NOTIFIED','NOTIFIED','ACTIVATING','ACTIVATED']"
    return [
        f"""INSERT INTO schools (id, uai, name, academy, city)
            SELECT i, lpad(i::text, 7, '0') || 'B', 'Ecole ' || i, 'Bench', 'Bench'
            FROM generate_series(1, {s}) i""",
        f"""INSERT INTO school_classes (id, school_id, name)
            SELECT (s - 1) * 12 + c, s, 'Classe ' || c
            FROM generate_series(1, {s}) s, generate_series(1, 12) c""",
        f"""INSERT INTO pupils (id, registry_id, ine, last_name, first_name, folded_last_name,
                                folded_first_name, birth_date, school_id, class_id, level,
                                admission)
            SELECT i, 'P' || i, lpad(i::text, 9, '0') || 'AB', 'NOM' || i, 'Enfant',
                   'nom' || i, 'enfant',
                   date '2017-01-01', ((i - 1) % {s}) + 1,
                   ((i - 1) % {s}) * 12 + ((i / {s}) % 12) + 1,
                   ({levels})[((i / {s}) % 12) % 8 + 1], 'DEFINITIVE'
            FROM generate_series(1, {p}) i""",
        f"""INSERT INTO accounts (id, identifier, first_name, last_name, folded_last_name,
                                  folded_first_name, state, origin, must_change_password,
                                  email_verified, mobile_verified, created_at)
            SELECT i, 'b.' || i, 'Parent', 'NOM' || i, 'nom' || i, 'parent',
                   ({states})[i % 4 + 1], 'SCHOOL',
                   false, false, false, now()
            FROM generate_series(1, {a}) i""",
        f"""INSERT INTO guardians (id, registry_id, last_name, first_name, account_id)
            SELECT i, 'G' || i, 'NOM' || i, 'Parent', i FROM generate_series(1, {a}) i""",
        f"""INSERT INTO guardian_pupils (guardian_id, pupil_id, is_legal)
            SELECT i, ((i - 1) % {p}) + 1, true FROM generate_series(1, {a}) i""",
        f"""INSERT INTO guardian_pupils (guardian_id, pupil_id, is_legal)
            SELECT i, ((i - 1 + {s} * 7) % {p}) + 1, true
            FROM generate_series(3, {a}, 3) i""",
        "ANALYZE",
    ]


def stats_million(accounts: int) -> None:
    url = fresh_database()
    if not url.startswith("postgresql"):
        sys.exit("stats: set DATABASE_URL to a PostgreSQL database")
    app = make_app(url)
    schools = max(1, accounts // 1400)
    pupils = accounts * 13 // 10
    with app.app_context():
        start = time.perf_counter()
        with db.engine.begin() as conn:
            for sql in generation_sql(schools, pupils, accounts):
                conn.execute(sa.text(sql))
        print(
            f"PostgreSQL: {schools} schools, {pupils} pupils, {accounts} accounts "
            f"populated in {time.perf_counter() - start:.0f} s"
        )

        start = time.perf_counter()
        count = stats.compute(now=NOW)
        db.session.commit()
        print(f"  stats compute for {count} schools: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "search-letters"
    if what == "stats":
        stats_million(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    else:
        search_letters()
