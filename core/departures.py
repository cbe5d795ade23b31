"""A departures file HR export from their HR system: one row per leaver, with an e-mail
address or a user id, the exit date, and optionally department, manager and platform (slack
or teams, for a company on both). Good rows are kept; every bad row is reported with its
line number."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, time

from core.commands import CommandError, PersonRef, parse_date, parse_person

PERSON_COLUMNS = ("email", "user_id", "user", "person")
COLUMNS = ("person", "exit_date", "department", "manager", "platform")
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


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_departures(text: str) -> tuple[list[Departure], list[Problem]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return [], [Problem(1, "the file is empty")]
    header = [cell.strip().casefold().replace(" ", "_") for cell in rows[0]]
    # A first row whose second cell is no date is a header, whatever it names.
    has_header = len(header) < 2 or not re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", header[1])
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
    return departures, problems


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
    return Departure(
        line,
        ref,
        parse_date(when),
        cell("department") or None,
        cell("manager") or None,
        platform,
    )
