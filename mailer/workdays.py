"""Working days on the Russian production calendar, with its transferred days off and working
Saturdays, from the maintained ``holidays`` package (holidays.RU) rather than tables of ours."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any


@cache
def _calendar(year: int) -> Any:
    import holidays

    # neighbouring years too: a count of working days may cross the new year
    return holidays.country_holidays("RU", years=range(year - 1, year + 3), language="ru")


def is_working_day(day: dt.date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def day_off_reason(day: dt.date) -> str:
    """Why a day is not worked: the holiday's name, or the weekend."""
    name = _calendar(day.year).get(day)
    if name:
        return str(name)
    return "суббота" if day.weekday() == 5 else "воскресенье"


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``start`` (the start itself not counted)."""
    result: dt.date = _calendar(start.year).get_nth_working_day(start, count)
    return result
