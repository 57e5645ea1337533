"""Fresh PostgreSQL databases for the tests: each xdist worker's, and the browser
world's beside it."""

from __future__ import annotations

import sqlalchemy as sa


def recreate_postgres_database(url: str | sa.engine.URL, name: str) -> str:
    """Drop `name` on `url`'s server if it exists, create it empty, and return its URL."""
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
