"""Which columns hold encrypted text, whether the configured keys can read them, and
re-encrypting them all with the first key (`exitbot rotate-key`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnClause, Engine, column, func, select, table, update

from adapters.storage.crypto import PREFIX, Cipher, KeyMismatch, is_encrypted
from adapters.storage.models import Base, EncryptedJSON, EncryptedText


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    key: str
    name: str


def encrypted_columns() -> list[EncryptedColumn]:
    """Every column whose type encrypts, read from the models (one place says which)."""
    found = []
    for mapped in Base.metadata.sorted_tables:
        [key] = [c.name for c in mapped.primary_key.columns]
        for col in mapped.columns:
            if isinstance(col.type, EncryptedText | EncryptedJSON):
                found.append(EncryptedColumn(mapped.name, key, col.name))
    return found


def check_readable(engine: Engine, cipher: Cipher | None) -> None:
    """Raises KeyMismatch, saying what to do, when the database holds encrypted values
    that these keys cannot read (or no key is set at all)."""
    with engine.connect() as connection:
        for where in encrypted_columns():
            raw: ColumnClause[Any] = column(where.name)
            sample = connection.execute(
                select(raw).select_from(table(where.table)).where(raw.like(f"{PREFIX}%")).limit(1)
            ).scalar()
            if sample is None:
                continue
            if cipher is None:
                raise KeyMismatch(
                    "the database holds encrypted answers: set EXITBOT_ENCRYPTION_KEY to the "
                    "key they were written with"
                )
            try:
                cipher.decrypt(sample)
            except KeyMismatch as exc:
                raise KeyMismatch(
                    f"EXITBOT_ENCRYPTION_KEY cannot read this database: {exc}"
                ) from None


def pending(engine: Engine, cipher: Cipher) -> int:
    """How many stored values are not yet under the first key."""
    total = 0
    with engine.connect() as connection:
        for where in encrypted_columns():
            raw: ColumnClause[Any] = column(where.name)
            total += connection.execute(
                select(func.count())
                .select_from(table(where.table))
                .where(raw.is_not(None), raw.not_like(f"{PREFIX}{cipher.current}:%"))
            ).scalar_one()
    return total


def rotate(
    engine: Engine, cipher: Cipher, batch: int = 500, done: Callable[[int], None] = lambda n: None
) -> int:
    """Re-encrypt every value not yet under the first key (clear text included), a batch
    per transaction. Safe to interrupt: run it again and it goes on where it stopped.
    `done(n)` is told after each batch. Returns how many values were rewritten."""
    rewritten = 0
    for where in encrypted_columns():
        for rows in _batches(engine, cipher, where, batch):
            with engine.begin() as connection:
                target = table(where.table, column(where.key), column(where.name))
                for key, value in rows:
                    clear = cipher.decrypt(value) if is_encrypted(value) else value
                    connection.execute(
                        update(target)
                        .where(target.c[where.key] == key)
                        .values({where.name: cipher.encrypt(clear)})
                    )
            rewritten += len(rows)
            done(len(rows))
    return rewritten


def _batches(
    engine: Engine, cipher: Cipher, where: EncryptedColumn, size: int
) -> Iterator[list[tuple[object, str]]]:
    last: object = None
    key: ColumnClause[Any] = column(where.key)
    raw: ColumnClause[Any] = column(where.name)
    while True:
        query = (
            select(key, raw)
            .select_from(table(where.table))
            .where(raw.is_not(None), raw.not_like(f"{PREFIX}{cipher.current}:%"))
            .order_by(key)
            .limit(size)
        )
        if last is not None:
            query = query.where(key > last)
        with engine.connect() as connection:
            rows = [(k, str(v)) for k, v in connection.execute(query)]
        if not rows:
            return
        last = rows[-1][0]
        yield rows
