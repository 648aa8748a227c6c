"""Release periods: whole calendar months, the grid every release is cut from (BE-6).

A release covers one or more whole calendar months, never a period that starts or ends
inside a month. Releases of overlapping periods therefore differ by whole months, and a
release of several months is built from the figures of each month (a figure withheld in
one month stays withheld in the sum), so differencing two releases gives away nothing a
monthly release did not already show: never a figure below the threshold.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MAX_MONTHS = 24


class PeriodError(ValueError):
    """A period that is not a run of whole calendar months."""


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return month_end(day) + dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """From the first day of a month to the last day of the same or a later month."""

    start: dt.date
    end: dt.date

    def months(self) -> list[dt.date]:
        """The first day of every month in the period."""
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = next_month(day)
        return out

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def release_period(*, start: dt.date, end: dt.date, today: dt.date | None = None) -> Period:
    """The period ``start``..``end``, checked to be whole calendar months that are over on
    ``today`` (a month still running would be released incomplete, and a later release of
    it could be subtracted from this one)."""
    if end < start:
        raise PeriodError(f"the period ends ({end}) before it starts ({start})")
    if start.day != 1:
        first = start.replace(day=1)
        raise PeriodError(
            f"a release starts on the first day of a month: {start} is inside a month "
            f"(use {first}); partial months would let two releases be subtracted"
        )
    if end != month_end(end):
        raise PeriodError(
            f"a release ends on the last day of a month: {end} is inside a month "
            f"(use {month_end(end)}); partial months would let two releases be subtracted"
        )
    if today is not None and end >= today:
        latest = last_full_month(today=today).start
        raise PeriodError(
            f"{end:%Y-%m} is not over yet: a release covers only months that have ended "
            f"(the latest is {latest:%Y-%m})"
        )
    period = Period(start, end)
    if len(period.months()) > MAX_MONTHS:
        raise PeriodError(f"a release covers at most {MAX_MONTHS} months")
    return period


def last_full_month(*, today: dt.date) -> Period:
    """The calendar month before ``today``'s."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)
