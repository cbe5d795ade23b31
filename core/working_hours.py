"""When ExitBot may message someone unasked (an invitation, a reminder): on a working day
(Monday to Friday, not a public holiday where they are) in working hours, their own time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

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

    def days_before(self, day: date, count: int) -> date:
        """`count` working days before `day`; `day` itself when count is 0, unless it is not
        a working day: then the working day before it, so nobody is invited on a Saturday or
        a holiday after their last day at work."""
        earliest = day - timedelta(days=366)  # no working day in a year: the date as it is
        found = day
        while count > 0 and found > earliest:
            found -= timedelta(days=1)
            if self.working_day(found):
                count -= 1
        while not self.working_day(found) and found > earliest:
            found -= timedelta(days=1)
        return found if self.working_day(found) else day
