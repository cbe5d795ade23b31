"""A departures file HR export from their HR system: one row per leaver, with an e-mail
address or a user id, the exit date, and optionally department, manager, platform (slack
or teams, for a company on both) and language (the code of the one to interview in). Good
rows are kept; every bad row is reported with its line number."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, time

from core.commands import LANGUAGE_CODE, CommandError, PersonRef, parse_date, parse_person

PERSON_COLUMNS = ("email", "user_id", "user", "person")
COLUMNS = ("person", "exit_date", "department", "manager", "platform", "language")
PLATFORMS = ("slack", "teams")


@dataclass(frozen=True)
class Departure:
    line: int
    person: PersonRef
    exit_date: date
    department: str | None = None
    manager: str | None = None
    platform: str | None = None  # None: the one the import was asked for
    at: time | None = None  # when on the send day; None: the default send time
    language: str | None = None  # "es"; None: their platform's, else the default


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


# What a spreadsheet saves a "CSV" with, by locale: commas, or semicolons where the comma
# is the decimal separator (most of Europe), or tabs.
DELIMITERS = ",;\t|"


def read_departures(text: str) -> tuple[list[Departure], list[Problem]]:
    text = text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), _dialect(text)))
    if not rows:
        return [], [Problem(1, "the file is empty")]
    header = [cell.strip().casefold().replace(" ", "_") for cell in rows[0]]
    # A first row that names a column, or holds no address, id or date (nothing with an @
    # or a digit), is a header; any other is the first leaver, whose date may be wrong: a
    # problem on that line, not a file refused whole.
    named = {*PERSON_COLUMNS, *COLUMNS}
    data_like = any("@" in cell or re.search(r"\d", cell) for cell in header)
    has_header = any(cell in named for cell in header) or not data_like
    if has_header:
        person_at = next((header.index(n) for n in PERSON_COLUMNS if n in header), None)
        if person_at is None or "exit_date" not in header:
            return [], [
                Problem(1, "the header needs an email (or user_id) column and an exit_date column")
            ]
        at = {"person": person_at, "exit_date": header.index("exit_date")}
        at.update({n: header.index(n) for n in COLUMNS[2:] if n in header})
        body = list(enumerate(rows[1:], start=2))
    else:
        at = {name: n for n, name in enumerate(COLUMNS)}
        body = list(enumerate(rows, start=1))
    departures, problems = [], []
    for line, row in body:
        if not any(cell.strip() for cell in row):
            continue
        try:
            departures.append(_departure(line, row, at))
        except CommandError as exc:
            problems.append(Problem(line, str(exc)))
    return _once_each(departures), problems


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS)
    except csv.Error:  # one column, or nothing to tell by: commas
        return csv.excel


def _once_each(departures: list[Departure]) -> list[Departure]:
    """Each person once, at the date of their last row: a file appended to with a
    correction means the later line (and a repeated row is one person, counted once)."""
    last: dict[tuple[str, str, str | None], Departure] = {}
    for departure in departures:
        ref = departure.person
        last[(ref.user_id or "", (ref.email or "").casefold(), departure.platform)] = departure
    return sorted(last.values(), key=lambda d: d.line)


def _departure(line: int, row: list[str], at: dict[str, int]) -> Departure:
    def cell(name: str) -> str:
        index = at.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    who, when = cell("person"), cell("exit_date")
    if not who or not when:
        raise CommandError("needs a person (e-mail or user id) and an exit date")
    ref = parse_person(who if "@" in who else f"@{who}")
    platform = cell("platform").casefold() or None
    if platform is not None and platform not in PLATFORMS:
        raise CommandError(f"“{cell('platform')}” is not a platform: write slack or teams")
    language = cell("language") or None
    if language is not None and not LANGUAGE_CODE.match(language):
        raise CommandError(f"“{language}” is not a language: write its code, e.g. es or de")
    return Departure(
        line,
        ref,
        parse_date(when),
        cell("department") or None,
        cell("manager") or None,
        platform,
        language=language,
    )
