"""`later`, with or without a time the employee picks: `later`, `later 2h`, `later in 3 hours`,
`later tomorrow`, `later monday`, `later 15:00`, and through a TimeReader (dateparser) the
rest of how people say it: `later tomorrow 3pm`, `later friday 2pm`, `later at noon`. Times
are the employee's own. A short `later ...` whose time is unclear is never an answer: it is
UNCLEAR, and they are asked when."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta

from core import wording
from core.localtime import zone
from core.speech import English, Speech, words

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {
    "m": 1,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
    "h": 60,
    "hr": 60,
    "hrs": 60,
    "hour": 60,
    "hours": 60,
    "d": 1440,
    "day": 1440,
    "days": 1440,
}
_AMOUNT = re.compile(r"^(?:in\s+)?(\d{1,3}|an?|one|half an?)\s*([a-z]+)$")
_CLOCK = re.compile(r"^(?:at\s+)?([01]?\d|2[0-3])(?::([0-5]\d))?\s*(am|pm)?$")
MAX_SNOOZE = timedelta(days=14)
# `later` and at most this many words: a pause, its time clear or not. Longer, a sentence
# that starts with "later" ("later in my career I'd like to lead") is an answer.
SHORT = 5


class Unclear:
    """`later` with a time that cannot be read (or is past, or too far): ask when."""


UNCLEAR = Unclear()
# Reads a time phrase ("friday 2pm") in a language at a local moment: the moment meant, or
# None.
TimeReader = Callable[[str, datetime, str], datetime | None]
ENGLISH = English()


def parse_later(
    text: str,
    now: datetime,
    timezone: str | None,
    send_time: time,
    reader: TimeReader | None = None,
    speech: Speech = ENGLISH,
) -> datetime | Unclear | None:
    """When to check back if `text` is `later` (in the employee's language or English) with
    a time; UNCLEAR when it is a short `later ...` whose time is not clear; None when it is
    not a pause (an answer)."""
    folded = " ".join(re.sub(r"[.!?,]+", " ", text.casefold()).split())
    later = sorted(words(speech, wording.WORDS_LATER), key=len, reverse=True)
    head = next((w for w in later if folded == w or folded.startswith(w + " ")), None)
    if head is None:
        return None
    when = folded.removeprefix(head).strip()
    local_now = now.astimezone(zone(timezone))
    moment = _by_rule(when, now, local_now, send_time)
    if moment is None and reader is not None and when:
        read = reader(when, local_now, speech.language)
        if read is not None and read.time() == time(0) and not re.search(r"\d|noon|midnight", when):
            read = _at(read, send_time)  # a day without a time: at the usual hour
        moment = read
    if moment is not None:
        return moment if now < moment <= now + MAX_SNOOZE else UNCLEAR
    return UNCLEAR if len(when.split()) < SHORT else None


def _by_rule(when: str, now: datetime, local_now: datetime, send_time: time) -> datetime | None:
    if when in ("", "please", "pls"):
        return _at(local_now + timedelta(days=1), send_time)
    if when in ("tomorrow", "tmrw"):
        return _at(local_now + timedelta(days=1), send_time)
    if when in ("tonight", "this evening"):
        return _future(_at(local_now, time(18, 0)), local_now)
    if when in ("next week",):
        return _at(local_now + timedelta(days=7 - local_now.weekday()), send_time)
    if when.removeprefix("on ").removeprefix("next ") in WEEKDAYS:
        day = WEEKDAYS.index(when.removeprefix("on ").removeprefix("next "))
        ahead = (day - local_now.weekday()) % 7 or 7
        return _at(local_now + timedelta(days=ahead), send_time)
    if (match := _AMOUNT.match(when)) and match.group(2) in UNITS:
        count, unit = match.groups()
        amount = (
            1 if count in ("a", "an", "one") else 0.5 if count.startswith("half") else int(count)
        )
        delta = timedelta(minutes=amount * UNITS[unit])
        return now + delta if timedelta(0) < delta else None
    if match := _CLOCK.match(when):
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if half:
            if hour > 12:
                return None
            hour = hour % 12 + (12 if half == "pm" else 0)
        return _future(_at(local_now, time(hour, minute)), local_now)
    return None


def _at(day: datetime, at: time) -> datetime:
    return day.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)


def _future(moment: datetime, now: datetime) -> datetime:
    return moment if moment > now else moment + timedelta(days=1)


def describe(
    moment: datetime, now: datetime, timezone: str | None, speech: Speech = ENGLISH
) -> str:
    """`today at 15:00`, `tomorrow at 10:00`, `on Monday at 10:00`, in the employee's time
    and language."""
    local, today = moment.astimezone(zone(timezone)), now.astimezone(zone(timezone)).date()
    return wording.when_later(speech, (local.date() - today).days, local)
