"""federation: links between FranceConnect identities and accounts

Revision ID: 0006_federation
Revises: 0003_idp
Create Date: 2026-11-29 16:04:43.893180
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_federation"
down_revision = "0003_idp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "franceconnect_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_franceconnect_links_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_franceconnect_links")),
        sa.UniqueConstraint("sub", name=op.f("uq_franceconnect_links_sub")),
    )
    with op.batch_alter_table("franceconnect_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_franceconnect_links_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("franceconnect_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_franceconnect_links_account_id"))

    op.drop_table("franceconnect_links")
