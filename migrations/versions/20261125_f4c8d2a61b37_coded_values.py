"""coded values in clear for the digest's SQL: an interview's primary reason (a code from
the taxonomy) and each answer's number (a rating or score). Filled in here from what is
stored, decrypted with the caller's key where answers are encrypted.

Revision ID: f4c8d2a61b37
Revises: e7b2a9c4d1f0
Create Date: 2026-11-25 21:48:00
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "f4c8d2a61b37"
down_revision: str | None = "e7b2a9c4d1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_reason", sa.String(length=32), nullable=True))
    fill()


def fill() -> None:
    connection = op.get_bind()
    clear = reader()
    interviews = sa.table(
        "interviews", sa.column("id"), sa.column("analysis"), sa.column("primary_reason")
    )
    answers = sa.table("answers", sa.column("id"), sa.column("value"), sa.column("number"))
    coded: list[dict[str, object]] = []
    for row in connection.execute(
        sa.select(interviews.c.id, interviews.c.analysis).where(interviews.c.analysis.is_not(None))
    ):
        reason = json.loads(clear(row.analysis)).get("primary_reason")
        if reason:
            coded.append({"key": row.id, "reason": reason})
    update_all(
        connection,
        sa.update(interviews)
        .where(interviews.c.id == sa.bindparam("key"))
        .values(primary_reason=sa.bindparam("reason")),
        coded,
    )
    numbers: list[dict[str, object]] = []
    for row in connection.execute(
        sa.select(answers.c.id, answers.c.value).where(answers.c.value.is_not(None))
    ):
        try:
            numbers.append({"key": row.id, "n": int(clear(row.value))})
        except ValueError:
            continue
    update_all(
        connection,
        sa.update(answers)
        .where(answers.c.id == sa.bindparam("key"))
        .values(number=sa.bindparam("n")),
        numbers,
    )


def reader() -> Callable[[str], str]:
    """Stored text as written: decrypted with the key `exitbot` passed in, if it is."""
    cipher = context.config.attributes.get("cipher")

    def clear(stored: str) -> str:
        if stored.startswith("enc1:"):
            if cipher is None:
                raise RuntimeError(
                    "this database is encrypted: set EXITBOT_ENCRYPTION_KEY to migrate it"
                )
            return str(cipher.decrypt(stored))
        return stored

    return clear


def update_all(
    connection: sa.Connection, statement: sa.Update, rows: list[dict[str, object]]
) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, rows[start : start + BATCH])


def downgrade() -> None:
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_column("primary_reason")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("number")
