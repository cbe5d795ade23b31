"""Encryption at rest, on SQLite and PostgreSQL: with EXITBOT_ENCRYPTION_KEY set no
employee word is readable in the database's files or rows, HR still read everything, a
wrong or missing key stops ExitBot at start, and keys rotate (interrupted, then resumed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, inspect, text

from adapters.storage.crypto import Cipher, new_key
from adapters.storage.database import make_engine
from adapters.storage.encryption import pending, rotate
from bot.container import App
from bot.settings import SettingsError
from core.events import Command, UserMessage
from core.interview import Person
from tests.conftest import PLATFORM, FakeClock
from tests.integration.test_erasure_bytes import holds

MARKER = "okapi-lantern-2208"
KEY, OTHER = new_key(), new_key()


def every_row_as_text(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return "\n".join(
                str(row)
                for name in tables
                for row in connection.execute(text(f'SELECT * FROM "{name}"'))
            )
    finally:
        engine.dispose()


def interview(app: App) -> None:
    app.hr.start_now(Person(PLATFORM, "UJANE", "Jane Doe"), by="UHR")
    for answer in ("3", f"My manager, because of {MARKER}.", f"Nothing, {MARKER} again.", "stop"):
        app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", answer))
    app.intake.store(PLATFORM, "EvPending", "UJANE", "application/json", f'{{"t": "{MARKER}"}}')


def report(app: App) -> str:
    return str(app.desk.handle(Command(PLATFORM, "UHR", "report @UJANE")))


def test_no_employee_word_is_readable_at_rest_and_hr_read_everything(
    make_app: Callable[..., App], database_url: str
) -> None:
    app = make_app(EXITBOT_ENCRYPTION_KEY=KEY, EXITBOT_HR_USERS="UHR")
    interview(app)
    assert MARKER in report(app)
    assert MARKER not in every_row_as_text(database_url)
    assert not holds(database_url, MARKER)  # nor anywhere in the files


def test_without_a_key_the_words_are_in_clear(
    make_app: Callable[..., App], database_url: str
) -> None:
    """The scan above can fail: without a key it finds the words."""
    interview(make_app(EXITBOT_HR_USERS="UHR"))
    assert MARKER in every_row_as_text(database_url)


def test_a_wrong_or_missing_key_stops_exitbot_at_start(make_app: Callable[..., App]) -> None:
    interview(make_app(EXITBOT_ENCRYPTION_KEY=KEY, EXITBOT_HR_USERS="UHR"))
    with pytest.raises(SettingsError, match="cannot read this database"):
        make_app(EXITBOT_ENCRYPTION_KEY=OTHER)
    with pytest.raises(SettingsError, match="set EXITBOT_ENCRYPTION_KEY"):
        make_app()


def test_keys_rotate_and_an_interrupted_rotation_goes_on_where_it_stopped(
    make_app: Callable[..., App], database_url: str, clock: FakeClock
) -> None:
    old = make_app(EXITBOT_ENCRYPTION_KEY=KEY, EXITBOT_HR_USERS="UHR")
    interview(old)
    old.close()
    both = Cipher([OTHER, KEY])
    engine = make_engine(database_url, both)
    todo = pending(engine, both)
    assert todo > 5

    first: list[int] = []

    def stop_after_the_first_batch(n: int) -> None:
        first.append(n)
        raise KeyboardInterrupt  # as if the process died here

    with pytest.raises(KeyboardInterrupt):
        rotate(engine, both, batch=2, done=stop_after_the_first_batch)
    assert pending(engine, both) == todo - first[0]
    assert rotate(engine, both, batch=2) == todo - first[0]
    assert pending(engine, both) == 0
    engine.dispose()
    new = make_app(EXITBOT_ENCRYPTION_KEY=OTHER, EXITBOT_HR_USERS="UHR")
    assert MARKER in report(new)
    assert MARKER not in every_row_as_text(database_url)
