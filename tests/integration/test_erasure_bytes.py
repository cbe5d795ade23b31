"""Erasure that reaches the bytes: after `forget` and after the retention purge, the
erased words are nowhere in the database's files (SQLite: the file and its WAL; PostgreSQL:
the tables' heap files, after the VACUUM that follows an erasure)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.container import App
from core.events import Command, UserMessage
from core.interview import Person
from tests.conftest import PLATFORM, FakeClock

MARKER = "zebra-marmalade-4711"
ANSWER = f"My manager never backed me, because of {MARKER} and the rest."


def sqlite_files(url: str) -> list[Path]:
    database = Path(str(make_url(url).database))
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def postgres_files(url: str) -> list[Path]:
    """The heap and TOAST files of every table (readable here: the tests run as root on the
    database's own machine)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            data = Path(connection.execute(text("SHOW data_directory")).scalar_one())
            paths = connection.execute(
                text(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't') "
                    "AND c.relpersistence = 'p'"
                )
            ).scalars()
            return [data / p for p in paths if p and (data / p).exists()]
    finally:
        engine.dispose()


def holds(url: str, words: str) -> bool:
    if url.startswith("sqlite"):
        files = sqlite_files(url)
    else:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("CHECKPOINT")  # what is in memory reaches the files
        engine.dispose()
        files = postgres_files(url)
    return any(words.encode() in f.read_bytes() for f in files)


def interview(app: App, user: str, words: str = ANSWER) -> None:
    app.hr.start_now(Person(PLATFORM, user, "Jane Doe"), by="UHR")
    for answer in ("3", words, "stop"):
        app.conversation.handle_message(UserMessage(PLATFORM, user, answer))
    app.delivery.drain()


@pytest.fixture
def erasing_app(make_app: Callable[..., App]) -> App:
    return make_app(EXITBOT_HR_USERS="UHR", EXITBOT_RETENTION_DAYS="30")


def test_forget_leaves_no_byte_of_the_words(erasing_app: App, database_url: str) -> None:
    interview(erasing_app, "UJANE")
    # Someone who stays: the erased rows share pages with rows that live on.
    interview(erasing_app, "ULEO", "Too little growth, because nobody owned it.")
    assert holds(database_url, MARKER)  # the scan finds what is there
    reply = erasing_app.desk.handle(Command(PLATFORM, "UHR", "forget @UJANE"))
    assert "Erased everything" in str(reply)
    assert not holds(database_url, MARKER)


def test_the_retention_purge_leaves_no_byte_of_the_words(
    erasing_app: App, database_url: str, clock: FakeClock
) -> None:
    interview(erasing_app, "UJANE")
    assert holds(database_url, MARKER)
    clock.advance(days=20)
    interview(erasing_app, "ULEO", "Too little growth, because nobody owned it.")
    clock.advance(days=11)
    assert erasing_app.jobs.purge(30) == 1
    assert not holds(database_url, MARKER)
    assert holds(database_url, "manager")  # the coded reason stays
    assert holds(database_url, "nobody owned it")  # and who stays keeps their words
