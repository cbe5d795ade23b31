"""Alembic environment: the URL comes from the caller (`exitbot migrate`, tests) or from the
bot's settings (DATABASE_URL); the target is adapters.storage's metadata."""

from __future__ import annotations

from alembic import context

from adapters.storage.database import make_engine
from adapters.storage.models import Base

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url: str | None = config.attributes.get("database_url")
    if url:
        return url
    from bot.settings import load_settings

    return load_settings().database_url


def run_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = database_url()
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = url.startswith("sqlite")
        if sqlite:
            # SQLite changes a column by copying the table and dropping the old one, and a
            # DROP TABLE deletes its rows first, cascading to every row that refers to them
            # (answers, transitions, messages). SQLite's own procedure: foreign keys off
            # (outside a transaction, so before ours begins), checked before commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke references: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
