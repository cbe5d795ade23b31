"""The HR command language, the same on every platform: `/exitbot start @jane` on Slack, the
same words typed to the bot on Teams. Adapters turn their mention syntax into `@USERID`
first; a person may also be named by e-mail address."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, time

USAGE = {
    "help": "help",
    "start": "start @person",
    "schedule": "schedule @person YYYY-MM-DD [HH:MM]",
    "cancel": "cancel @person",
    "status": "status [@person]",
    "list": "list",
    "report": "report @person",
    "digest": "digest [DAYS]",
    "export": "export [DAYS]",
    "forget": "forget @person",
}

HELP = "\n".join(
    [
        "*ExitBot commands* (HR only):",
        "• `start @person`: interview them now, in a direct message",
        "• `schedule @person YYYY-MM-DD [HH:MM]`: interview them on that day "
        "(their time zone; default time from settings)",
        "• `cancel @person`: cancel their scheduled or running interview",
        "• `status [@person]`: counts by state, or where one person's interview stands",
        "• `list`: scheduled and running interviews",
        "• `report @person`: their whole interview (only you see it; the read is audited)",
        "• `digest [DAYS]`: reasons for leaving and scores over the last DAYS (default 30)",
        "• `export [DAYS]`: interviews that ended in the last DAYS as CSV (audited)",
        "• `forget @person`: erase everything ExitBot holds about them, now",
        "• `help`: this list",
        "A person is an @mention or an e-mail address.",
    ]
)


class CommandError(ValueError):
    """A command that cannot run as typed; the message says what to type instead."""


@dataclass(frozen=True)
class PersonRef:
    """Who a command is about: a platform user id, or an e-mail address to look up."""

    user_id: str | None = None
    email: str | None = None

    def __str__(self) -> str:
        return f"@{self.user_id}" if self.user_id else str(self.email)


@dataclass(frozen=True)
class HrCommand:
    verb: str
    person: PersonRef | None = None
    day: date | None = None
    at: time | None = None
    days: int | None = None


_USER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9_.:-]{1,127})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_DAYS = 3650


def parse(text: str) -> HrCommand:
    words = text.split()
    if not words:
        return HrCommand("help")
    verb, args = words[0].casefold(), words[1:]
    if verb not in USAGE:
        raise CommandError(f"I don't know `{words[0]}`. Try `/exitbot help`.")
    usage = f"Usage: `/exitbot {USAGE[verb]}`"
    if verb in ("help", "list"):
        _expect(args, 0, usage)
        return HrCommand(verb)
    if verb in ("digest", "export"):
        _expect(args, 1, usage, optional=True)
        return HrCommand(verb, days=_days(args[0]) if args else None)
    if verb == "status":
        _expect(args, 1, usage, optional=True)
        return HrCommand(verb, person=parse_person(args[0], usage) if args else None)
    if verb == "schedule":
        if len(args) not in (2, 3):
            raise CommandError(usage)
        return HrCommand(
            verb,
            person=parse_person(args[0], usage),
            day=parse_date(args[1]),
            at=parse_time(args[2]) if len(args) == 3 else None,
        )
    _expect(args, 1, usage)
    return HrCommand(verb, person=parse_person(args[0], usage))


def _expect(args: list[str], count: int, usage: str, optional: bool = False) -> None:
    if len(args) > count or (not optional and len(args) < count):
        raise CommandError(usage)


def parse_person(word: str, usage: str = "") -> PersonRef:
    if match := _USER.match(word):
        return PersonRef(user_id=match.group(1))
    if _EMAIL.match(word):
        return PersonRef(email=word.casefold())
    raise CommandError(
        f"`{word}` is not a person: use an @mention or an e-mail address. {usage}".strip()
    )


def parse_date(word: str) -> date:
    match = _DATE.match(word)
    if not match:
        raise CommandError(f"`{word}` is not a date: write it as YYYY-MM-DD, e.g. 2026-03-27.")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise CommandError(f"`{word}` is not a date: there is no month {month}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise CommandError(
            f"`{word}` is not a date: {calendar.month_name[month]} {year} has {last} days."
        )
    return date(year, month, day)


def parse_time(word: str) -> time:
    match = _TIME.match(word)
    if not match:
        raise CommandError(f"`{word}` is not a time of day: write it as HH:MM, e.g. 10:00.")
    return time(int(match.group(1)), int(match.group(2)))


def _days(word: str) -> int:
    if not word.isdigit() or not 1 <= int(word) <= MAX_DAYS:
        raise CommandError(
            f"`{word}` is not a number of days: use a whole number from 1 to {MAX_DAYS}."
        )
    return int(word)
