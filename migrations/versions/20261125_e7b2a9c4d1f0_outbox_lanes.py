"""outbox lanes: replies to someone mid-conversation go before bulk (invitations,
reminders, summaries, digests); what is there already is a reply (lane 0).

Revision ID: e7b2a9c4d1f0
Revises: c3f1d2e4a5b6
Create Date: 2026-11-25 21:24:38
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b2a9c4d1f0"
down_revision: str | None = "c3f1d2e4a5b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["sent_at", "failed_at", "lane", "id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["sent_at", "failed_at", "id"])
        batch_op.drop_column("lane")
