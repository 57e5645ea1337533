"""request ids: messages and logout tokens remember the request that enqueued them

`guichet worker` logs each attempt under the id of the request that composed the
message or signed the parent out (kernel.request_ids, issue 14). Rows written
before have none.

Revision ID: 0009_request_ids
Revises: 0008_outbox_worker
Create Date: 2026-12-07 13:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_request_ids"
down_revision = "0008_outbox_worker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("oidc_logout_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oidc_logout_deliveries", schema=None) as batch_op:
        batch_op.drop_column("request_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("request_id")
