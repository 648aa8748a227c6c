"""Console pages of the web-log analytics (BE-5) and the raw-address diagnostics (QS-6).

Who may open them is the policy's decision, not the code's: the gate is asked whether one of
the reader's roles receives the log categories for the analytics use (the reports) or the
essential log use (the raw addresses), from ``recipients.staff``; ``policy check`` holds
``log_files.report_readers`` and ``raw_ip_readers`` to the same roles. Every page view is
audited. The reports are aggregates and name no one. DuckDB lets one process write a file at
a time: while an ingest runs, the pages say so (503) instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from keepfaith.accounts.roles import CONSOLE
from keepfaith.console import reads
from keepfaith.console.access import may_read, staff_read, staff_view
from keepfaith.console.charts import bar_chart, line_chart
from keepfaith.console.dashboard import (
    TAB_KEYS,
    TABS,
    headlines,
    periods,
    previous_period,
    readable_rows,
    tab_sections,
)
from keepfaith.console.forms import DayField, FilterForm, day_in_range, day_range_message
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import country_name, retention_text
from keepfaith.policy.trace import enforces
from keepfaith.weblog.conf import download_extensions, weblog_config_in_force
from keepfaith.weblog.reports import (
    CountRow,
    WeblogReport,
    report_csv,
    report_json,
    report_span,
    weblog_report,
)
from keepfaith.weblog.store import diagnostics_hits, diagnostics_oldest, store_busy

MAX_RANGE_DAYS = 366
CHART_ROWS = 15
PURGE_JOB = "logs-purge"


def _busy(request: HttpRequest) -> HttpResponse:
    response = render(request, "console/analytics_busy.html", status=503)
    response["Retry-After"] = "15"
    return response


@dataclass(frozen=True, slots=True)
class Section:
    """One block of the report page: its charts and the same figures as a table."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    charts: list[SafeString] = field(default_factory=list)
    note: str = ""


def _bars(rows: list[tuple[str, float]], title: str) -> list[SafeString]:
    return [bar_chart(rows[:CHART_ROWS], title=title)] if rows else []


def _named(value: str | None) -> str:
    """A dimension's value for people: "unknown" where the logs could not tell ("??")."""
    return str(value) if value and value.strip() not in ("??", "-") else _("unknown")


def _country(value: str | None) -> str:
    """A registry country code in words ("Denmark", "Danmark"); "unknown" where not known."""
    named = _named(value)
    if named != value or value is None:
        return named
    return country_name(value, (get_language() or "en")[:2])


def _count_section(
    key: str,
    title: str,
    label: str,
    rows: list[CountRow],
    *,
    by: str = "requests",
    note: str = "",
    words: Callable[[str | None], str] = _named,
) -> Section:
    pairs = [(words(row.value), float(getattr(row, by))) for row in rows]
    table: list[tuple[Any, ...]]
    if by == "visits":
        table = [(words(row.value), row.visits) for row in rows]
        headers: tuple[str, ...] = (label, _("visits"))
    else:
        table = [(words(row.value), row.requests, row.visitors) for row in rows]
        headers = (label, _("requests"), _("visitors"))
    measure = _("visits") if by == "visits" else _("requests")
    chart_title = _("%(title)s by %(measure)s") % {"title": title, "measure": measure}
    return Section(key, title, headers, table, _bars(pairs, chart_title), note)


def _trend_sections(report: WeblogReport) -> list[Section]:
    days = [(date_format(r.day, "SHORT_DATE_FORMAT"), r) for r in report.daily]
    charts = [
        line_chart([(d, float(getattr(r, name))) for d, r in days], title=title)
        for name, title in (
            ("requests", _("Requests per day")),
            ("visits", _("Visits per day")),
            ("visitors", _("Unique visitors per day")),
        )
    ]
    daily = Section(
        "trends",
        _("Trends per day"),
        (
            _("day"),
            _("requests"),
            _("page views"),
            _("visits"),
            _("unique visitors"),
            _("crawler requests"),
        ),
        [(d, r.requests, r.page_views, r.visits, r.visitors, r.crawler_requests) for d, r in days],
        charts if days else [],
        _("Visitors are unique per day (pseudonyms change daily); crawlers are not visitors."),
    )
    by_hour = {hour: [0, 0, 0] for hour in range(24)}
    for row in report.hourly:
        if row.hour is not None:
            totals = by_hour[row.hour]
            totals[0] += row.requests
            totals[1] += row.page_views
            totals[2] += row.visits
    hourly = Section(
        "hours",
        _("Requests by hour of day (UTC)"),
        (_("hour"), _("requests"), _("page views"), _("visits")),
        [(f"{h:02d}:00", *t) for h, t in by_hour.items()],
        [
            bar_chart(
                [(f"{h:02d}:00", float(t[0])) for h, t in by_hour.items()],
                title=_("Requests by hour"),
            )
        ]
        if report.hourly
        else [],
    )
    return [daily, hourly]


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    for double in ("tar.gz", "tar.bz2", "tar.xz"):
        if name.endswith("." + double):
            return name.rsplit(".", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else _("(none)")


def _download_sections(report: WeblogReport) -> list[Section]:
    by_ext: dict[str, int] = {}
    for row in report.downloads:
        by_ext[_extension(row.value)] = by_ext.get(_extension(row.value), 0) + row.requests
    ext_rows = sorted(by_ext.items(), key=lambda item: (-item[1], item[0]))
    return [
        _count_section("downloads", _("Downloads by file"), _("file"), report.downloads),
        Section(
            "download-types",
            _("Downloads by extension"),
            (_("extension"), _("requests")),
            list(ext_rows),
            _bars([(e, float(n)) for e, n in ext_rows], _("Downloads by extension")),
            _("Summed over the files listed above."),
        ),
    ]


def _path_sections(report: WeblogReport) -> list[Section]:
    moves = [(f"{t.from_path} → {t.to_path}", float(t.visits)) for t in report.transitions]
    errors = [(f"{e.status} {e.path}", float(e.requests)) for e in report.errors]
    return [
        _count_section("entry", _("Entry pages"), _("page"), report.entry_pages, by="visits"),
        _count_section("exit", _("Exit pages"), _("page"), report.exit_pages, by="visits"),
        Section(
            "transitions",
            _("Top transitions"),
            (_("from"), _("to"), _("visits")),
            [(t.from_path, t.to_path, t.visits) for t in report.transitions],
            _bars(moves, _("Top transitions by visits")),
        ),
        Section(
            "errors",
            _("Errors (4xx and 5xx)"),
            (_("status"), _("path"), _("referring page"), _("requests")),
            [(e.status, e.path, e.referrer_page or "-", e.requests) for e in report.errors],
            _bars(errors, _("Errors by requests")),
        ),
    ]


def report_sections(report: WeblogReport) -> list[Section]:
    """Every block of the analytics page, in reading order."""
    return [
        *_trend_sections(report),
        *_path_sections(report),
        *_download_sections(report),
        _count_section(
            "referrers", _("Referring sites"), _("site (domain only)"), report.referring_sites
        ),
        _count_section(
            "countries",
            _("Registry countries"),
            _("registry country"),
            report.countries,
            note=_("The country an address block is registered to, not where anyone is."),
            words=_country,
        ),
        _count_section("browsers", _("Browsers"), _("browser family"), report.browsers),
        _count_section("os", _("Operating systems"), _("OS family"), report.operating_systems),
        _count_section("statuses", _("Status codes"), _("status"), report.statuses),
        _count_section(
            "crawlers",
            _("Crawlers (reported apart)"),
            _("crawler"),
            report.crawlers,
            note=_("Crawler requests are never counted as visitors or visits."),
        ),
    ]


def _range(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    """The days asked for (``from``/``to``), else the last 30 days that have data."""
    start_text, end_text = request.GET.get("from", ""), request.GET.get("to", "")
    if start_text or end_text:
        try:
            start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
        except ValueError:
            raise ValueError(_("Give both dates as YYYY-MM-DD.")) from None
        if not (day_in_range(start) and day_in_range(end)):
            raise ValueError(day_range_message())
        if end < start:
            message = _("The range ends (%(end)s) before it starts (%(start)s).")
            raise ValueError(message % {"end": end, "start": start})
        if (end - start).days >= MAX_RANGE_DAYS:
            message = _("Ask for at most %(days)s days at a time.")
            raise ValueError(message % {"days": MAX_RANGE_DAYS})
        return start, end, ""
    span = report_span(paths=weblog_config_in_force(policy=in_force().policy).paths)
    if span is None:
        today = timezone.now().date()
        return (
            today - dt.timedelta(days=29),
            today,
            _("No log data yet: run `keepfaith logs ingest`."),
        )
    return span[0], span[1], ""


def _report(start: dt.date, end: dt.date) -> WeblogReport:
    return weblog_report(
        paths=weblog_config_in_force(policy=in_force().policy).paths,
        start=start,
        end=end,
        download_extensions=download_extensions(),
        own_hosts=settings.WEBLOG_OWN_HOSTS,
    )


def _download(report: WeblogReport, fmt: str) -> HttpResponse:
    name = f"weblog-{report.start}-{report.end}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(report_csv(report=report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(report_json(report=report), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _previous(start: dt.date, end: dt.date) -> WeblogReport | None:
    """The report of the period before, for the headline changes (None: out of range)."""
    before_start, before_end = previous_period(start, end)
    try:
        return _report(before_start, before_end)
    except (ValueError, duckdb.Error):
        return None


@enforces("BE-5")
@staff_view(CONSOLE)
@staff_read(reads.analytics_read)
def analytics(request: HttpRequest) -> HttpResponse:
    """The dashboard for a period: headline figures with the change against the period
    before, one tab per question (charts and the same figures as tables), CSV/JSON."""
    try:
        start, end, notice = _range(request)
        report = _report(start, end)
    except ValueError as error:
        return render(request, "console/analytics.html", {"error": str(error)}, status=400)
    except duckdb.Error as error:
        if store_busy(error):
            return _busy(request)
        raise
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "json"):
        return _download(report, fmt)
    tab = request.GET.get("tab", "traffic")
    tab = tab if tab in TAB_KEYS else "traffic"
    shown = tab_sections(tab)
    sections = [
        replace(s, rows=readable_rows(s.rows))
        for s in report_sections(report)
        if shown is None or s.key in shown
    ]
    context = {
        "start": start,
        "end": end,
        "notice": notice,
        "sections": sections,
        "tabs": [(key, title) for key, title, _sections in TABS],
        "tab": tab,
        "periods": periods(_last_day(request, end)),
        "headlines": headlines(report, _previous(start, end)),
        "query": f"from={start}&to={end}",
        "may_read_raw": may_read(request, reads.diagnostics_read),
    }
    return render(request, "console/analytics.html", context)


def _last_day(request: HttpRequest, end: dt.date) -> dt.date:
    """Where the presets end: the newest day with data (the default range's end)."""
    if request.GET.get("from") or request.GET.get("to"):
        span = report_span(paths=weblog_config_in_force(policy=in_force().policy).paths)
        return span[1] if span else end
    return end


def _purge_facts(retention_days: int) -> dict[str, Any]:
    from keepfaith.jobs.selectors import job_last_run

    oldest = diagnostics_oldest(paths=weblog_config_in_force(policy=in_force().policy).paths)
    return {
        "oldest": oldest,
        "oldest_due": oldest + dt.timedelta(days=retention_days) if oldest else None,
        "last_purge": job_last_run(name=PURGE_JOB),
    }


DIAGNOSTICS_PAGE = 100


class DiagnosticsFilter(FilterForm):
    address = forms.CharField(
        label=gettext_lazy("Address starts with"), required=False, max_length=64
    )
    path = forms.CharField(label=gettext_lazy("Request contains"), required=False, max_length=200)
    status = forms.IntegerField(
        label=gettext_lazy("Status"), required=False, min_value=100, max_value=599
    )
    since = DayField(label=gettext_lazy("From"), required=False)
    until = DayField(label=gettext_lazy("To (inclusive)"), required=False)
    errors_only = forms.BooleanField(label=gettext_lazy("Errors only (4xx, 5xx)"), required=False)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput
    )


def _hits_query(form: DiagnosticsFilter, now: dt.datetime) -> dict[str, Any]:
    data = form.cleaned_data if form.is_valid() else {}
    since, until = data.get("since"), data.get("until")
    page = data.get("page") or 1
    return {
        "since": dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        if since
        else dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        "until": dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        if until
        else now + dt.timedelta(days=1),
        "status_from": 400 if data.get("errors_only") else 0,
        "status": data.get("status"),
        "address": (data.get("address") or "").strip(),
        "path": (data.get("path") or "").strip(),
        "offset": (page - 1) * DIAGNOSTICS_PAGE,
        "limit": DIAGNOSTICS_PAGE + 1,  # one more: is there a next page?
    }


@enforces("QS-6", "BE-5")
@staff_view(CONSOLE)
@staff_read(reads.diagnostics_read)
def diagnostics(request: HttpRequest) -> HttpResponse:
    """Raw requests (address, time, request, status) for diagnosing the servers: filtered by
    address, request path, status and days, a page at a time."""
    config = weblog_config_in_force(policy=in_force().policy)
    form = DiagnosticsFilter(request.GET or None)
    query = _hits_query(form, timezone.now())
    try:  # a wrong filter shows nothing, never every address
        hits = [] if form.refused else diagnostics_hits(paths=config.paths, **query)
        facts = _purge_facts(config.raw_ip_retention_days)
    except duckdb.Error as error:
        if store_busy(error):
            return _busy(request)
        raise
    page = query["offset"] // DIAGNOSTICS_PAGE + 1
    params = request.GET.copy()
    params.pop("page", None)
    policy = in_force().policy
    context = {
        "form": form,
        "hits": hits[:DIAGNOSTICS_PAGE],
        "page": page,
        "has_next": len(hits) > DIAGNOSTICS_PAGE,
        "params": params.urlencode(),
        "policy_retention": (
            retention_text(policy.log_files.raw_ip_retention, (get_language() or "en")[:2])
            if policy.log_files
            else ""
        ),
        "setting_days": settings.WEBLOG_RAW_IP_RETENTION_DAYS,
        "retention_days": config.raw_ip_retention_days,
        **facts,
    }
    status = 400 if form.refused else 200
    return render(request, "console/analytics_diagnostics.html", context, status=status)
