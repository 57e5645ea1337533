"""outbox worker: messages due by next_attempt_at, SMS codes linked to their message

Messages are sent from their rows by `guichet worker` (kernel.jobs): a pending
message is due when its next attempt is; the rows already pending are due at once.
An SMS code remembers its message, so that a newer code withdraws it unsent.

Revision ID: 0008_outbox_worker
Revises: 0007_admin
Create Date: 2026-12-07 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_outbox_worker"
down_revision = "0007_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE messages SET next_attempt_at = created_at "
        "WHERE status = 'pending' AND next_attempt_at IS NULL"
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_due", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sms_challenges_message_id_messages"), "messages", ["message_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_challenges", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sms_challenges_message_id_messages"), type_="foreignkey"
        )
        batch_op.drop_column("message_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_due")
