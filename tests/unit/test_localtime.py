"""Working days before an exit date, and departures files."""

from __future__ import annotations

from datetime import date

import pytest

from core.departures import read_departures
from core.localtime import working_days_before


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2030, 3, 27), 0, date(2030, 3, 27)),  # Wednesday, no lead
        (date(2030, 3, 27), 2, date(2030, 3, 25)),
        (date(2030, 3, 25), 1, date(2030, 3, 22)),  # Monday -> the Friday before
        (date(2030, 3, 25), 3, date(2030, 3, 20)),
        (date(2030, 3, 24), 1, date(2030, 3, 22)),  # a Sunday exit -> Friday
    ],
)
def test_working_days_before(day: date, count: int, expected: date) -> None:
    assert working_days_before(day, count) == expected


def test_departures_without_a_header_are_read_by_position() -> None:
    departures, problems = read_departures("U1,2030-03-29,Support,Sam\njane@acme.test,2030-04-01\n")
    assert problems == []
    assert [(d.line, str(d.person), d.exit_date, d.department, d.manager) for d in departures] == [
        (1, "@U1", date(2030, 3, 29), "Support", "Sam"),
        (2, "jane@acme.test", date(2030, 4, 1), None, None),
    ]


def test_a_header_without_the_needed_columns_is_one_problem() -> None:
    departures, problems = read_departures("name,date\nJane,2030-03-29\n")
    assert departures == [] and [str(p) for p in problems] == [
        "line 1: the header needs an email (or user_id) column and an exit_date column"
    ]
