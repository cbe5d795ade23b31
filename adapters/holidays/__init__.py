"""Public holidays from the `holidays` package, by country (EXITBOT_HOLIDAY_COUNTRY)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import holidays


def supported(country: str) -> bool:
    return country in holidays.list_supported_countries()


def public_holidays(country: str) -> Callable[[date], bool]:
    """Whether a day is a public holiday in `country` (years are computed as asked)."""
    calendar = holidays.country_holidays(country)
    return lambda day: day in calendar
