"""outbox and inbox: indexes by person, for "is anything to (or from) them still in hand?",
asked at each commit that queues a message and as each request is stored.

Revision ID: c3f1d2e4a5b6
Revises: a0122a03b0a1
Create Date: 2026-11-25 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3f1d2e4a5b6"
down_revision: str | None = "a0122a03b0a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_to", ["address_id", "sent_at"], unique=False)
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_sender", ["sender", "processed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_sender")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_to")
