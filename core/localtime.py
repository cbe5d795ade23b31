"""Times as the employee lives them: their zone from the platform profile, UTC if unknown."""

from __future__ import annotations

from datetime import date, datetime, time
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
