"""Working days on the Russian production calendar, with its transferred days off and working
Saturdays, from the maintained ``holidays`` package (holidays.RU) rather than tables of ours."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _calendar(year: int) -> Any:
    # neighbouring years too: a count of working days may cross the new year
    return _russia()(years=range(year - 1, year + 3), language="ru")


def _russia() -> Any:
    """holidays.RU's class, loaded from its own module: ``holidays.countries`` imports all
    150 countries on import, a tenth of a second at every start."""
    import holidays

    name = "holidays.countries.russia"
    module = sys.modules.get(name)
    if module is None:
        path = Path(holidays.__file__).parent / "countries" / "russia.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None or not path.exists():
            return functools.partial(holidays.country_holidays, "RU")  # another layout
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return module.Russia


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
