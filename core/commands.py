"""The HR command language, the same on every platform: `/exitbot start @jane` on Slack, the
same words typed to the bot on Teams. Adapters turn their mention syntax into `@USERID`
first; a person may also be named by e-mail address.

Each command is declared once, where it is handled, with `CommandSet.command`: its usage
line (which is also how its arguments are read), its help line and its handler. Help text
and every platform's routing come from that one declaration.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar


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
    # `--lang es`: the language to interview in.
    language: str | None = None


_USER = re.compile(r"^@([A-Za-z0-9][A-Za-z0-9_.:-]{1,127})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_DAYS = 3650


def parse_person(word: str, usage: str = "") -> PersonRef:
    if match := _USER.match(word):
        return PersonRef(user_id=match.group(1))
    if _EMAIL.match(word):
        return PersonRef(email=word.casefold())
    raise CommandError(
        f"“{word}” is not a person: use an @mention or an e-mail address. {usage}".strip()
    )


def parse_date(word: str) -> date:
    match = _DATE.match(word)
    if not match:
        raise CommandError(f"“{word}” is not a date: write it as YYYY-MM-DD, e.g. 2026-03-27.")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise CommandError(f"“{word}” is not a date: there is no month {month}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise CommandError(
            f"“{word}” is not a date: {calendar.month_name[month]} {year} has {last} days."
        )
    return date(year, month, day)


def parse_time(word: str) -> time:
    match = _TIME.match(word)
    if not match:
        raise CommandError(f"“{word}” is not a time of day: write it as HH:MM, e.g. 10:00.")
    return time(int(match.group(1)), int(match.group(2)))


def _days(word: str) -> int:
    if not word.isdigit() or not 1 <= int(word) <= MAX_DAYS:
        raise CommandError(
            f"“{word}” is not a number of days: use a whole number from 1 to {MAX_DAYS}."
        )
    return int(word)


# What each placeholder in a usage line reads, and where it goes in the HrCommand.
_READERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "@person": ("person", parse_person),
    "YYYY-MM-DD": ("day", parse_date),
    "HH:MM": ("at", parse_time),
    "DAYS": ("days", _days),
}

Handler = TypeVar("Handler", bound=Callable[..., Any])
# An option a usage line may end with: the language to interview in.
LANG_OPTION = "[--lang LANG]"
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


def _language_option(args: list[str], usage: str) -> tuple[list[str], str | None]:
    """`args` without `--lang es` (or `--lang=es`), and the language it names."""
    rest: list[str] = []
    language: str | None = None
    words = iter(args)
    for word in words:
        flag, equals, value = word.partition("=")
        if flag.casefold() not in ("--lang", "--language"):
            rest.append(word)
            continue
        value = value if equals else next(words, "")
        if not LANGUAGE_CODE.match(value):
            raise CommandError(
                f"“{value or flag}” is not a language: give its code, e.g. --lang es. {usage}"
            )
        language = value
    return rest, language


@dataclass(frozen=True)
class Verb:
    """One HR command: `usage` is what follows the verb (`[...]` is optional)."""

    name: str
    usage: str
    help: str
    handler: Callable[..., Any]

    def parse(self, args: list[str], invocation: str) -> HrCommand:
        shown = f"Usage: {invocation}{self.name} {self.usage}".rstrip()
        values: dict[str, Any] = {}
        usage = self.usage
        if LANG_OPTION in usage:
            usage = usage.replace(LANG_OPTION, "")
            args, values["language"] = _language_option(args, shown)
        slots = usage.split()
        required = sum(1 for slot in slots if not slot.startswith("["))
        if not required <= len(args) <= len(slots):
            raise CommandError(shown)
        for slot, word in zip(slots, args, strict=False):
            field, read = _READERS[slot.strip("[]")]
            values[field] = read(word, shown) if read is parse_person else read(word)
        return HrCommand(self.name, **values)


class CommandSet:
    """The HR commands, in the order help lists them."""

    def __init__(self) -> None:
        self._verbs: dict[str, Verb] = {}

    def command(self, usage: str, help: str) -> Callable[[Handler], Handler]:
        """Declare the decorated method as the handler of the command `usage` names."""

        def register(handler: Handler) -> Handler:
            name, _, rest = usage.partition(" ")
            slots = rest.replace(LANG_OPTION, "").split()
            unknown = [s for s in slots if s.strip("[]") not in _READERS]
            if unknown or name in self._verbs:
                raise ValueError(f"cannot declare {usage!r}: {unknown or 'declared twice'}")
            self._verbs[name] = Verb(name, rest, help, handler)
            return handler

        return register

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.casefold() in self._verbs

    def __iter__(self) -> Iterator[Verb]:
        return iter(self._verbs.values())

    def parse(self, text: str, invocation: str = "") -> tuple[Verb, HrCommand]:
        """The command typed, read; `invocation` is how the platform's users type one
        (`/exitbot ` on Slack), for the usage lines in errors."""
        words = text.split() or ["help"]
        verb = self._verbs.get(words[0].casefold())
        if verb is None:
            raise CommandError(f"I don't know “{words[0]}”. Try “{invocation}help”.")
        return verb, verb.parse(words[1:], invocation)

    def help_text(self, invocation: str = "") -> str:
        lines = ["ExitBot commands (HR only):"]
        lines += [f"• {invocation}{v.name} {v.usage}".rstrip() + f": {v.help}" for v in self]
        lines.append("A person is an @mention or an e-mail address.")
        return "\n".join(lines)
