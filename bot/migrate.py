"""Running Alembic from ExitBot: `exitbot migrate`, `exitbot serve` and the demo call this.
On PostgreSQL the upgrade runs under an advisory lock, so that replicas starting at once
migrate one after the other (the first does the work, the others find nothing to do)
instead of racing to create the same tables."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

import migrations
from adapters.storage.crypto import Cipher
from adapters.storage.database import make_engine
from bot.settings import Settings

log = logging.getLogger(__name__)
# Any 64-bit number of ExitBot's own; another application on the same database would
# have to pick the same one by chance to wait on ExitBot's migrations.
MIGRATION_LOCK = 0x45786974426F74  # "ExitBot"


def alembic_config(database_url: str, cipher: Cipher | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["database_url"] = database_url
    # A migration that derives values from encrypted ones reads them with it.
    config.attributes["cipher"] = cipher
    return config


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Held while migrating. PostgreSQL: a session-level advisory lock on a connection of
    its own (released when that connection closes, even if this process dies). SQLite
    takes its own write lock for each migration's transaction."""
    if not database_url.startswith("postgresql"):
        yield
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head", cipher: Cipher | None = None) -> None:
    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url, cipher), revision)


def upgrade_with(settings: Settings) -> None:
    """Up to the latest revision, with the settings' database and key."""
    keys = settings.encryption_keys
    upgrade(settings.database_url, cipher=Cipher(keys) if keys else None)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions this code expects the database to be at."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(script.get_heads())


def is_current(connection: Connection) -> bool:
    """Whether the database is at the revisions this code expects (readiness: a replica
    started with --no-migrate before the migrate job ran is not ready)."""
    heads = MigrationContext.configure(connection).get_current_heads()
    return frozenset(heads) == head_revisions()


def wait_until_current(database_url: str, poll_seconds: float = 2.0) -> None:
    """Return once the database is at this code's revision (`serve --no-migrate`: the
    migrate job runs beside the replicas, which start when it is done)."""
    engine = make_engine(database_url)
    said = False
    try:
        while True:
            try:
                with engine.connect() as connection:
                    if is_current(connection):
                        return
            except SQLAlchemyError:
                pass  # not there yet either: the same wait
            if not said:
                log.info("waiting for `exitbot migrate` to bring the database up to date")
                said = True
            time.sleep(poll_seconds)
    finally:
        engine.dispose()
