"""parent sessions: what «Mes connexions» shows, known browsers, messages by account

Issue 17. A sign-in session keeps its browser's user agent and its network (the
host part dropped); the browsers an account signed in from are known by the digest
of a long-lived cookie, for the optional new-browser email the parent turns on;
a message remembers the account it is about, so that «Mes données» lists a
parent's messages without matching addresses a family may share.

Revision ID: 0011_parent_sessions
Revises: 0012_passkeys
Create Date: 2026-12-07 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_parent_sessions"
down_revision = "0012_passkeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_agent", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("network", sa.String(length=64), nullable=True))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("new_device_alerts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_account_id"), ["account_id"], unique=False)
    op.create_table(
        "known_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_known_devices_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_devices")),
        sa.UniqueConstraint("account_id", "token_digest", name=op.f("uq_known_devices_account_id")),
    )
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_devices_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_devices_account_id"))
    op.drop_table("known_devices")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_account_id"))
        batch_op.drop_column("account_id")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("new_device_alerts")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("network")
        batch_op.drop_column("user_agent")
