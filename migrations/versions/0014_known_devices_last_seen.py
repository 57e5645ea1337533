"""known devices: an index on last_seen_at

The daily `guichet sessions purge` forgets every browser unseen for longer than its
cookie lives (accounts.devices.forget_expired): one range delete on this column.

Revision ID: 0014_known_devices_last_seen
Revises: 0013_account_locale
Create Date: 2026-12-07 17:00:00
"""

from alembic import op

revision = "0014_known_devices_last_seen"
down_revision = "0013_account_locale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_devices_last_seen_at"), ["last_seen_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_devices_last_seen_at"))
