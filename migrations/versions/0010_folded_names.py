"""folded names: pupils and accounts keep their names folded for the console's search

The console searches and sorts on names folded like `kernel.names.fold_name`
(accents, case, hyphens, spaces, apostrophes): the columns are added, filled from
the names already there, then made NOT NULL and indexed (SPEC §5 «Search»).

Revision ID: 0010_folded_names
Revises: 0009_request_ids
Create Date: 2026-12-07 13:40:00
"""

import sqlalchemy as sa
from alembic import op

from kernel.names import folded_names

revision = "0010_folded_names"
down_revision = "0009_request_ids"
branch_labels = None
depends_on = None

TABLES = ("pupils", "accounts")
BATCH = 5000


def _backfill(table_name: str) -> None:
    """Fold the names already stored, a batch of rows at a time (flat memory)."""
    bind = op.get_bind()
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column("last_name", sa.String),
        sa.column("first_name", sa.String),
        sa.column("folded_last_name", sa.String),
        sa.column("folded_first_name", sa.String),
    )
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            folded_last_name=sa.bindparam("fl"),
            folded_first_name=sa.bindparam("ff"),
        )
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.last_name, table.c.first_name)
            .where(table.c.id > last_id)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            names = folded_names(row.last_name, row.first_name)
            params.append(
                {
                    "row_id": row.id,
                    "fl": names["folded_last_name"],
                    "ff": names["folded_first_name"],
                }
            )
        bind.execute(update, params)
        last_id = rows[-1].id


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("folded_last_name", sa.String(200), nullable=True))
            batch_op.add_column(sa.Column("folded_first_name", sa.String(200), nullable=True))
        _backfill(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column("folded_last_name", existing_type=sa.String(200), nullable=False)
            batch_op.alter_column("folded_first_name", existing_type=sa.String(200), nullable=False)
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pupils_folded_names",
            ["school_id", "folded_last_name", "folded_first_name"],
            unique=False,
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_accounts_folded_names", ["folded_last_name", "folded_first_name"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_folded_names")
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_index("ix_pupils_folded_names")
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("folded_first_name")
            batch_op.drop_column("folded_last_name")
