"""Times as the employee lives them: their zone from the platform profile, UTC if unknown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, timezone: str | None) -> str:
    """`Fri 27 Mar 2026 10:00 (Asia/Tokyo)`."""
    where = zone(timezone)
    return f"{moment.astimezone(where):%a %d %b %Y %H:%M} ({where.key})"


def moment_on(day: date, at: time, timezone: str | None) -> datetime:
    """That wall-clock time on that day in the zone (DST applied)."""
    return datetime.combine(day, at, tzinfo=zone(timezone))


def weekday(day: date) -> bool:
    return day.weekday() < 5


def working_days_before(
    day: date, count: int, working_day: Callable[[date], bool] = weekday
) -> date:
    """`count` working days before `day` (by default Monday to Friday; a company's own
    working days and public holidays where the person is, through `working_day`); `day`
    itself when count is 0, unless it is not a working day: then the working day before it,
    so nobody is invited on a Saturday or a holiday after their last day at work."""
    earliest = day - timedelta(days=366)  # no working day in a year: the date as it is
    found = day
    while count > 0 and found > earliest:
        found -= timedelta(days=1)
        if working_day(found):
            count -= 1
    while not working_day(found) and found > earliest:
        found -= timedelta(days=1)
    return found if working_day(found) else day
