"""Encrypted columns: the analysis and outbox payloads become text, so that they can hold
encrypted JSON (EXITBOT_ENCRYPTION_KEY); what they hold now is read as it is.

Revision ID: a0122a03b0a1
Revises: bd3181bf756e
Create Date: 2026-11-25 14:53:29.999348
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import adapters.storage.models

revision: str = "a0122a03b0a1"
down_revision: str | None = "bd3181bf756e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.JSON(),
                type_=sa.Text(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::text",
            )


def downgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.JSON(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::json",
            )


COLUMNS = (("interviews", "analysis", True), ("outbox", "payload", False))
