"""Migration 0010_folded_names fills the folded names of the rows already there
(the console's search finds people imported before it), and goes back down."""

from __future__ import annotations

import sqlalchemy as sa

from guichet import create_app
from guichet.migrations import downgrade
from guichet.migrations import upgrade
from kernel.extensions import db


def test_existing_names_are_folded_by_the_migration(base_config, tmp_path):
    app = create_app({**base_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        upgrade("0008_outbox_worker")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO schools (id, uai, name, academy, city) "
                    "VALUES (1, '0311478N', 'École', 'Toulouse', 'Toulouse')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO pupils (id, registry_id, last_name, first_name, birth_date, "
                    "school_id, admission) VALUES (1, 'E1', 'Saint-Exupéry', 'Élise', "
                    "'2016-01-01', 1, 'DEFINITIVE')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO accounts (id, identifier, first_name, last_name, state, origin, "
                    "must_change_password, email_verified, mobile_verified, created_at) VALUES "
                    "(1, 'n.dormesson', 'Noël', 'D''Ormesson', 'NOTIFIED', 'SCHOOL', 1, 0, 0, "
                    "'2026-09-01 00:00:00')"
                )
            )
        upgrade("0010_folded_names")
        with db.engine.connect() as conn:
            assert conn.execute(
                sa.text("SELECT folded_last_name, folded_first_name FROM pupils")
            ).one() == ("saint exupery", "elise")
            assert conn.execute(
                sa.text("SELECT folded_last_name, folded_first_name FROM accounts")
            ).one() == ("d ormesson", "noel")
        downgrade("0008_outbox_worker")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("pupils")}
        assert "folded_last_name" not in columns
        db.engine.dispose()
