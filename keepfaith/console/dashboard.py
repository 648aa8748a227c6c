"""The analytics dashboard's frame: the period picker, the headline figures with their change
against the previous period of the same length, and the tabs that group the report's sections
(one question each) so the page is read at a glance instead of scrolled (BE-5: aggregates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from keepfaith.weblog.reports import WeblogReport

TABS: tuple[tuple[str, object, tuple[str, ...]], ...] = (
    ("traffic", _("Traffic"), ("trends", "hours", "statuses")),
    ("pages", _("Pages"), ("entry", "exit")),
    ("movements", _("Movements"), ("transitions",)),
    ("downloads", _("Downloads"), ("downloads", "download-types")),
    ("errors", _("Errors"), ("errors",)),
    ("referrers", _("Referrers"), ("referrers",)),
    ("countries", _("Countries"), ("countries",)),
    ("browsers", _("Browsers"), ("browsers", "os")),
    ("crawlers", _("Crawlers"), ("crawlers",)),
)
TAB_KEYS = frozenset(key for key, _title, _sections in TABS) | {"all"}


def tab_sections(tab: str) -> frozenset[str] | None:
    """The section keys a tab shows (None: every section, the ``all`` tab)."""
    for key, _title, sections in TABS:
        if key == tab:
            return frozenset(sections)
    return None


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    label: object
    start: dt.date
    end: dt.date


def periods(last: dt.date) -> list[Period]:
    """The picker's presets, ending on ``last`` (the newest day with data, or today)."""
    first_of_month = last.replace(day=1)
    previous_end = first_of_month - dt.timedelta(days=1)
    return [
        Period("7d", _("Last 7 days"), last - dt.timedelta(days=6), last),
        Period("30d", _("Last 30 days"), last - dt.timedelta(days=29), last),
        Period("90d", _("Last 90 days"), last - dt.timedelta(days=89), last),
        Period("month", _("This month"), first_of_month, last),
        Period("previous", _("Previous month"), previous_end.replace(day=1), previous_end),
    ]


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same number of days just before ``start``."""
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Headline:
    label: object
    value: int
    before: int | None

    @property
    def shown(self) -> str:
        return number_format(self.value, force_grouping=True)

    @property
    def change(self) -> str:
        """``+12 %``, ``-3 %``, ``new`` or "" when there is nothing to compare."""
        if self.before is None:
            return ""
        if self.before == 0:
            return str(_("new")) if self.value else "±0 %"
        percent = round((self.value - self.before) * 100 / self.before)
        return f"{percent:+d} %"

    @property
    def direction(self) -> str:
        if self.before is None or self.value == self.before:
            return ""
        return "up" if self.value > self.before else "down"


def _totals(report: WeblogReport) -> dict[str, int]:
    days = report.daily
    return {
        "requests": sum(r.requests for r in days),
        "page_views": sum(r.page_views for r in days),
        "visits": sum(r.visits for r in days),
        "visitors": sum(r.visitors for r in days),
        "errors": sum(e.requests for e in report.errors),
        "crawlers": sum(r.crawler_requests for r in days),
    }


HEADLINE_LABELS = (
    ("visits", _("Visits")),
    ("visitors", _("Unique visitors (daily, summed)")),
    ("page_views", _("Page views")),
    ("requests", _("Requests")),
    ("errors", _("Error responses")),
    ("crawlers", _("Crawler requests")),
)


def headlines(report: WeblogReport, before: WeblogReport | None) -> list[Headline]:
    now, then = _totals(report), _totals(before) if before is not None else None
    return [
        Headline(label, now[key], then[key] if then is not None else None)
        for key, label in HEADLINE_LABELS
    ]


UNKNOWN_VALUES = frozenset({"", "??", "-", "(none)", "unknown", "Other"})


def readable_cell(value: object) -> object:
    """Numbers grouped as in the charts; unknown values as the word "unknown"."""
    if isinstance(value, bool) or value is None:
        return _("unknown") if value is None else value
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, str) and value.strip() in ("", "??"):
        return _("unknown")
    return value


def readable_rows(rows: Iterable[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [tuple(readable_cell(cell) for cell in row) for row in rows]
