"""`later` with a time the employee picks, read in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from adapters.timephrases import read_time
from core.snooze import UNCLEAR, describe, parse_later

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday; 18:00 in Tokyo
TEN = time(10, 0)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("later", None, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        ("Later.", None, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        ("later tomorrow", "Asia/Tokyo", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("later 2h", None, datetime(2026, 3, 4, 11, 0, tzinfo=UTC)),
        ("later in 30 minutes", None, datetime(2026, 3, 4, 9, 30, tzinfo=UTC)),
        ("later in an hour", None, datetime(2026, 3, 4, 10, 0, tzinfo=UTC)),
        ("later 3 days", None, datetime(2026, 3, 7, 9, 0, tzinfo=UTC)),
        ("later monday", "Asia/Tokyo", datetime(2026, 3, 9, 1, 0, tzinfo=UTC)),
        (
            "later wednesday",
            None,
            datetime(2026, 3, 11, 10, 0, tzinfo=UTC),
        ),  # next week's, not today
        ("later 15:00", "Asia/Tokyo", datetime(2026, 3, 5, 6, 0, tzinfo=UTC)),  # 15:00 passed there
        ("later 8pm", None, datetime(2026, 3, 4, 20, 0, tzinfo=UTC)),
        ("later next week", None, datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
    ],
)
def test_when_to_check_back(text: str, tz: str | None, expected: datetime) -> None:
    assert parse_later(text, NOW, tz, TEN) == expected


@pytest.mark.parametrize(
    "text",
    [
        "later in my career I'd like to lead",
        "latery",
        "I'll answer later",
        "skip",
    ],
)
def test_not_a_pause(text: str) -> None:
    assert parse_later(text, NOW, None, TEN, read_time) is None


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # How people say it, read by dateparser in their zone (18:00 on Wednesday in Tokyo).
        ("later tomorrow 3pm", "Asia/Tokyo", datetime(2026, 3, 5, 6, 0, tzinfo=UTC)),
        ("later friday 2pm", None, datetime(2026, 3, 6, 14, 0, tzinfo=UTC)),
        ("later at noon", None, datetime(2026, 3, 4, 12, 0, tzinfo=UTC)),
        ("later this afternoon", None, datetime(2026, 3, 4, 15, 0, tzinfo=UTC)),
        ("later in half an hour", None, datetime(2026, 3, 4, 9, 30, tzinfo=UTC)),
        ("later on friday", "Asia/Tokyo", datetime(2026, 3, 6, 1, 0, tzinfo=UTC)),
    ],
)
def test_how_people_say_when(text: str, tz: str | None, expected: datetime) -> None:
    assert parse_later(text, NOW, tz, TEN, read_time) == expected


@pytest.mark.parametrize(
    "text",
    [
        "later 99 days",  # too far
        "later 13pm",
        "later this afternoon please",  # 15:00 has passed in Tokyo
        "later when I can",
        "later after lunch",
    ],
)
def test_a_short_later_with_an_unclear_time_is_asked_about_not_answered(text: str) -> None:
    assert parse_later(text, NOW, "Asia/Tokyo", TEN, read_time) is UNCLEAR


def test_describe_in_their_words() -> None:
    assert (
        describe(datetime(2026, 3, 5, 1, 0, tzinfo=UTC), NOW, "Asia/Tokyo") == "tomorrow at 10:00"
    )
    assert describe(datetime(2026, 3, 9, 10, 0, tzinfo=UTC), NOW, None) == "on Monday at 10:00"
    assert (
        describe(datetime(2026, 3, 20, 10, 0, tzinfo=UTC), NOW, None)
        == "on Friday 20 March at 10:00"
    )
