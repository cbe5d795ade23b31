"""How people say when ("friday 2pm", "tomorrow at noon", "this afternoon", "demain 15h",
"morgen 15 Uhr") read by dateparser in the employee's language, in their own zone,
preferring the future. The core's own rules go first (core/snooze.py); this reads the rest."""

from __future__ import annotations

import re
from datetime import datetime

# "15h", "15h30", "15 Uhr": dateparser reads "15h" as fifteen hours from now, and skips "Uhr".
_HOUR = re.compile(r"\b([01]?\d|2[0-3])\s*(?:h|uhr)(?:\s*([0-5]\d))?\b", re.IGNORECASE)
# A leading article or preposition ("el viernes", "am Freitag") that dateparser stops at.
_LEADING = re.compile(r"^(?:el|la|am|le|on|o|a|na|no)\s+", re.IGNORECASE)


def read_time(phrase: str, local_now: datetime, language: str = "en") -> datetime | None:
    """The moment `phrase` means seen from `local_now` (aware, in the employee's zone)."""
    import dateparser  # imported on first use: its language data takes a moment to load

    phrase = _HOUR.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", phrase)
    phrase = _LEADING.sub("", phrase.strip())
    found = dateparser.parse(
        phrase,
        languages=[language] if language == "en" else [language, "en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    return found.replace(tzinfo=local_now.tzinfo) if found is not None else None
