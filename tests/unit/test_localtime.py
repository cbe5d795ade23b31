"""Working days before an exit date, and departures files."""

from __future__ import annotations

from datetime import date

import pytest

from core.departures import read_departures
from core.working_hours import WorkingHours


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2030, 3, 27), 0, date(2030, 3, 27)),  # Wednesday, no lead
        (date(2030, 3, 27), 2, date(2030, 3, 25)),
        (date(2030, 3, 25), 1, date(2030, 3, 22)),  # Monday -> the Friday before
        (date(2030, 3, 25), 3, date(2030, 3, 20)),
        (date(2030, 3, 24), 1, date(2030, 3, 22)),  # a Sunday exit -> Friday
        (date(2030, 3, 23), 0, date(2030, 3, 22)),  # a Saturday exit, no lead -> Friday
        (date(2030, 3, 24), 0, date(2030, 3, 22)),  # a Sunday exit, no lead -> Friday
    ],
)
def test_days_before(day: date, count: int, expected: date) -> None:
    assert WorkingHours().days_before(day, count) == expected


def test_a_company_that_works_every_day_invites_on_a_saturday() -> None:
    every_day = WorkingHours(weekdays=frozenset(range(7)))
    assert every_day.days_before(date(2030, 3, 23), 0) == date(2030, 3, 23)
    assert every_day.days_before(date(2030, 3, 25), 1) == date(2030, 3, 24)


def test_holidays_and_weekends_together_go_back_to_a_working_day() -> None:
    easter = {date(2030, 4, 19), date(2030, 4, 22)}  # Good Friday, Easter Monday
    hours = WorkingHours(holiday=easter.__contains__)
    assert hours.days_before(date(2030, 4, 22), 0) == date(2030, 4, 18)
    assert hours.days_before(date(2030, 4, 23), 1) == date(2030, 4, 18)


def test_with_no_working_day_at_all_the_exit_date_stands() -> None:
    never = WorkingHours(weekdays=frozenset())
    assert never.days_before(date(2030, 3, 23), 0) == date(2030, 3, 23)
    assert never.days_before(date(2030, 3, 23), 2) == date(2030, 3, 23)


def test_departures_without_a_header_are_read_by_position() -> None:
    departures, problems = read_departures("U1,2030-03-29,Support,Sam\njane@acme.test,2030-04-01\n")
    assert problems == []
    assert [(d.line, str(d.person), d.exit_date, d.department, d.manager) for d in departures] == [
        (1, "@U1", date(2030, 3, 29), "Support", "Sam"),
        (2, "jane@acme.test", date(2030, 4, 1), None, None),
    ]


def test_a_platform_column_says_where_each_leaver_is() -> None:
    departures, problems = read_departures(
        "email,exit_date,platform\na@x.test,2030-03-29,Teams\nb@x.test,2030-03-29,\n"
        "c@x.test,2030-03-29,skype\n"
    )
    assert [(d.line, d.platform) for d in departures] == [(2, "teams"), (3, None)]
    assert [str(p) for p in problems] == ["line 4: “skype” is not a platform: write slack or teams"]


def test_a_header_without_the_needed_columns_is_one_problem() -> None:
    departures, problems = read_departures("name,date\nJane,2030-03-29\n")
    assert departures == [] and [str(p) for p in problems] == [
        "line 1: the header needs an email (or user_id) column and an exit_date column"
    ]


def test_a_send_time_in_a_dst_gap_or_overlap_is_still_one_moment() -> None:
    from datetime import UTC, datetime, time

    from core.localtime import moment_on

    # 02:30 does not exist in Los Angeles on 8 March 2026 (clocks jump 02:00 -> 03:00):
    # it is read with the offset before the jump, so it goes out at 03:30 local.
    gap = moment_on(date(2026, 3, 8), time(2, 30), "America/Los_Angeles")
    assert gap.astimezone(UTC) == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    # 01:30 happens twice on 1 November 2026: the first one (still daylight time) is used.
    overlap = moment_on(date(2026, 11, 1), time(1, 30), "America/Los_Angeles")
    assert overlap.astimezone(UTC) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
