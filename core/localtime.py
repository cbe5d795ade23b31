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


def working_days_before(
    day: date, count: int, holiday: Callable[[date], bool] = lambda day: False
) -> date:
    """`count` working days (Monday to Friday, public holidays not counted) before `day`;
    `day` itself when count is 0, unless it is a public holiday (then the working day
    before it)."""
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5 and not holiday(day):
            count -= 1
    while holiday(day):
        day -= timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
    return day
