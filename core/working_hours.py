"""When ExitBot may message someone unasked (an invitation, a reminder): on a working day
(Monday to Friday, not a public holiday where they are) in working hours, their own time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from core.localtime import zone


def no_holidays(day: date) -> bool:
    return False


@dataclass(frozen=True)
class WorkingHours:
    start: time = time(9, 0)
    end: time = time(18, 0)
    # Whether a day is a public holiday (EXITBOT_HOLIDAY_COUNTRY's calendar).
    holiday: Callable[[date], bool] = field(default=no_holidays)
    # Monday (0) to Friday (4); every day with EXITBOT_WORKING_HOURS=always.
    weekdays: frozenset[int] = frozenset(range(5))

    def working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.holiday(day)

    def open_at(self, moment: datetime, timezone: str | None) -> bool:
        local = moment.astimezone(zone(timezone))
        return self.working_day(local.date()) and self.start <= local.time() <= self.end
