"""How people say when ("friday 2pm", "tomorrow at noon", "this afternoon") read by
dateparser, in the employee's own zone, preferring the future. The core's own rules go
first (core/snooze.py); this reads the rest."""

from __future__ import annotations

from datetime import datetime


def read_time(phrase: str, local_now: datetime) -> datetime | None:
    """The moment `phrase` means seen from `local_now` (aware, in the employee's zone)."""
    import dateparser  # imported on first use: its language data takes a moment to load

    found = dateparser.parse(
        phrase,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return found.replace(tzinfo=local_now.tzinfo) if found is not None else None
