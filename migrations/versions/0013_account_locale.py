"""account locale: the language of a parent's emails and SMS

The language a parent chose (the header's switch) or read their pages in at
sign-in, so that messages sent without a page (the console, jobs) follow it
(docs/languages.md). Empty for every existing account: French.

Revision ID: 0013_account_locale
Revises: 0011_parent_sessions
Create Date: 2026-12-07 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_account_locale"
down_revision = "0011_parent_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("locale")
