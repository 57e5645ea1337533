"""Time: naive UTC datetimes in the database, French dates for people.

Views and CLI commands take the time here once and pass it down as `now=`, so
business rules never read the clock themselves and tests set it by argument
(or with time-machine for whole journeys).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def paris(moment: dt.datetime) -> dt.datetime:
    """A stored naive-UTC datetime in Paris time, for display."""
    return moment.replace(tzinfo=dt.UTC).astimezone(PARIS)


def paris_today(now: dt.datetime) -> dt.date:
    """The calendar day in France at `now` (distribution dates, deadlines)."""
    return paris(now).date()


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later, or the month's last day when it
    has none (SPEC §4: issued on 7 December, valid through 7 March; on 30 November,
    through the last day of February)."""
    return day + relativedelta(months=months)


def paris_midnight(day: dt.date) -> dt.datetime:
    """The naive-UTC moment a Paris calendar day begins (a deadline's first day
    without validity)."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    return local.astimezone(dt.UTC).replace(tzinfo=None)
