"""Console pages of the web-log analytics (BE-5) and the raw-address diagnostics (QS-6).

Who may open them is the policy's decision, not the code's: ``log_files.report_readers``
read the reports, ``log_files.raw_ip_readers`` the raw addresses. Every page view is
audited. The reports are aggregates and name no one; the diagnostics page shows raw
addresses, so it also asks the gate. DuckDB lets one process write a file at a time: while an
ingest runs, the pages say so (503) instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString

from keepfaith.accounts.roles import CONSOLE
from keepfaith.console.access import audited_read, policy_role_required, staff_actor, staff_view
from keepfaith.console.charts import bar_chart, line_chart
from keepfaith.gate import PolicyViolation
from keepfaith.gate.runtime import active_gate
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.selectors import active_policy
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


def report_readers(policy: Policy) -> tuple[str, ...]:
    """Staff roles the policy gives the log reports to."""
    return policy.log_files.report_readers if policy.log_files else ()


def raw_ip_readers(policy: Policy) -> tuple[str, ...]:
    """Staff roles the policy lets read raw addresses."""
    return policy.log_files.raw_ip_readers if policy.log_files else ()


def log_categories() -> tuple[str, ...]:
    policy, _ = active_policy()
    return policy.log_files.categories if policy.log_files else ("user.device.ip_address",)


def _log_uses() -> tuple[str, ...]:
    policy, _ = active_policy()
    return policy.log_files.uses if policy.log_files else ()


def analytics_use() -> str:
    """The use the reports serve: the policy's analytics (or other non-essential) log use."""
    uses = _log_uses()
    preferred = [u for u in uses if u.startswith("analytics")]
    others = [u for u in uses if not u.startswith("essential") and u != "third_party_sharing"]
    return (preferred or others or ["analytics.reporting"])[0]


def diagnostics_use() -> str:
    """The use raw addresses serve: the policy's essential (operations) log use."""
    essential = [u for u in _log_uses() if u.startswith("essential")]
    return (essential or ["essential.service.operations"])[0]


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


def _count_section(
    key: str, title: str, label: str, rows: list[CountRow], *, by: str = "requests", note: str = ""
) -> Section:
    pairs = [(row.value, float(getattr(row, by))) for row in rows]
    table: list[tuple[Any, ...]]
    if by == "visits":
        table = [(row.value, row.visits) for row in rows]
        headers: tuple[str, ...] = (label, "visits")
    else:
        table = [(row.value, row.requests, row.visitors) for row in rows]
        headers = (label, "requests", "visitors")
    return Section(key, title, headers, table, _bars(pairs, f"{title} by {by}"), note)


def _trend_sections(report: WeblogReport) -> list[Section]:
    days = [(r.day.isoformat(), r) for r in report.daily]
    charts = [
        line_chart([(d, float(getattr(r, name))) for d, r in days], title=title)
        for name, title in (
            ("requests", "Requests per day"),
            ("visits", "Visits per day"),
            ("visitors", "Unique visitors per day"),
        )
    ]
    daily = Section(
        "trends",
        "Trends per day",
        ("day", "requests", "page views", "visits", "unique visitors", "crawler requests"),
        [(d, r.requests, r.page_views, r.visits, r.visitors, r.crawler_requests) for d, r in days],
        charts if days else [],
        "Visitors are unique per day (pseudonyms change daily); crawlers are not visitors.",
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
        "Requests by hour of day (UTC)",
        ("hour", "requests", "page views", "visits"),
        [(f"{h:02d}:00", *t) for h, t in by_hour.items()],
        [
            bar_chart(
                [(f"{h:02d}:00", float(t[0])) for h, t in by_hour.items()], title="Requests by hour"
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
    return name.rsplit(".", 1)[-1].lower() if "." in name else "(none)"


def _download_sections(report: WeblogReport) -> list[Section]:
    by_ext: dict[str, int] = {}
    for row in report.downloads:
        by_ext[_extension(row.value)] = by_ext.get(_extension(row.value), 0) + row.requests
    ext_rows = sorted(by_ext.items(), key=lambda item: (-item[1], item[0]))
    return [
        _count_section("downloads", "Downloads by file", "file", report.downloads),
        Section(
            "download-types",
            "Downloads by extension",
            ("extension", "requests"),
            list(ext_rows),
            _bars([(e, float(n)) for e, n in ext_rows], "Downloads by extension"),
            "Summed over the files listed above.",
        ),
    ]


def _path_sections(report: WeblogReport) -> list[Section]:
    moves = [(f"{t.from_path} → {t.to_path}", float(t.visits)) for t in report.transitions]
    errors = [(f"{e.status} {e.path}", float(e.requests)) for e in report.errors]
    return [
        _count_section("entry", "Entry pages", "page", report.entry_pages, by="visits"),
        _count_section("exit", "Exit pages", "page", report.exit_pages, by="visits"),
        Section(
            "transitions",
            "Top transitions",
            ("from", "to", "visits"),
            [(t.from_path, t.to_path, t.visits) for t in report.transitions],
            _bars(moves, "Top transitions by visits"),
        ),
        Section(
            "errors",
            "Errors (4xx and 5xx)",
            ("status", "path", "referring page", "requests"),
            [(e.status, e.path, e.referrer_page or "-", e.requests) for e in report.errors],
            _bars(errors, "Errors by requests"),
        ),
    ]


def report_sections(report: WeblogReport) -> list[Section]:
    """Every block of the analytics page, in reading order."""
    return [
        *_trend_sections(report),
        *_path_sections(report),
        *_download_sections(report),
        _count_section(
            "referrers", "Referring sites", "site (domain only)", report.referring_sites
        ),
        _count_section(
            "countries",
            "Registry countries",
            "registry country",
            report.countries,
            note="The country an address block is registered to, not where anyone is.",
        ),
        _count_section("browsers", "Browsers", "browser family", report.browsers),
        _count_section("os", "Operating systems", "OS family", report.operating_systems),
        _count_section("statuses", "Status codes", "status", report.statuses),
        _count_section(
            "crawlers",
            "Crawlers (reported apart)",
            "crawler",
            report.crawlers,
            note="Crawler requests are never counted as visitors or visits.",
        ),
    ]


def _range(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    """The days asked for (``from``/``to``), else the last 30 days that have data."""
    start_text, end_text = request.GET.get("from", ""), request.GET.get("to", "")
    if start_text or end_text:
        try:
            start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
        except ValueError:
            raise ValueError("give both dates as YYYY-MM-DD") from None
        if end < start:
            raise ValueError(f"the range ends ({end}) before it starts ({start})")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"ask for at most {MAX_RANGE_DAYS} days at a time")
        return start, end, ""
    span = report_span(paths=weblog_config_in_force().paths)
    if span is None:
        today = timezone.now().date()
        return today - dt.timedelta(days=29), today, "No log data yet: run `keepfaith logs ingest`."
    return span[0], span[1], ""


def _report(start: dt.date, end: dt.date) -> WeblogReport:
    return weblog_report(
        paths=weblog_config_in_force().paths,
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


@enforces("BE-5")
@staff_view(CONSOLE)
@policy_role_required(report_readers)
@audited_read(
    "console.analytics.report", categories=log_categories, use=analytics_use, clauses=["BE-5"]
)
def analytics(request: HttpRequest) -> HttpResponse:
    """Traffic reports for a range of days, with charts, tables and CSV/JSON downloads."""
    try:
        start, end, notice = _range(request)
    except ValueError as error:
        return render(request, "console/analytics.html", {"error": str(error)}, status=400)
    except duckdb.Error as error:
        if store_busy(error):
            return _busy(request)
        raise
    try:
        report = _report(start, end)
    except duckdb.Error as error:
        if store_busy(error):
            return _busy(request)
        raise
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "json"):
        return _download(report, fmt)
    context = {
        "start": start,
        "end": end,
        "notice": notice,
        "sections": report_sections(report),
        "query": f"from={start}&to={end}",
        "may_read_raw": bool(
            set(request.user.role_names) & set(raw_ip_readers(active_policy()[0]))  # type: ignore[union-attr]
        ),
    }
    return render(request, "console/analytics.html", context)


def _reader_role(request: HttpRequest, readers: Callable[[Policy], tuple[str, ...]]) -> str:
    allowed = readers(active_policy()[0])
    return next(r for r in request.user.role_names if r in allowed)  # type: ignore[union-attr]


def _purge_facts(retention_days: int) -> dict[str, Any]:
    from keepfaith.jobs.selectors import job_last_run

    oldest = diagnostics_oldest(paths=weblog_config_in_force().paths)
    return {
        "oldest": oldest,
        "oldest_due": oldest + dt.timedelta(days=retention_days) if oldest else None,
        "last_purge": job_last_run(name=PURGE_JOB),
    }


@enforces("QS-6", "BE-5")
@staff_view(CONSOLE)
@policy_role_required(raw_ip_readers)
@audited_read(
    "console.analytics.raw_hits",
    categories=log_categories,
    use=diagnostics_use,
    clauses=["QS-6", "BE-5"],
)
def diagnostics(request: HttpRequest) -> HttpResponse:
    """Recent raw requests (address, time, request, status) for diagnosing the servers."""
    gate = active_gate(actor=staff_actor(request))
    try:
        gate.require(
            use=diagnostics_use(),
            categories=log_categories(),
            recipient=_reader_role(request, raw_ip_readers),
        )
    except PolicyViolation as refusal:
        raise PermissionDenied(refusal.decision.reason) from refusal
    config = weblog_config_in_force()
    errors_only = request.GET.get("errors") == "1"
    now = timezone.now()
    try:
        hits = diagnostics_hits(
            paths=config.paths,
            since=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            until=now + dt.timedelta(days=1),
            status_from=400 if errors_only else 0,
        )
        facts = _purge_facts(config.raw_ip_retention_days)
    except duckdb.Error as error:
        if store_busy(error):
            return _busy(request)
        raise
    policy, _ = active_policy()
    context = {
        "hits": hits,
        "errors_only": errors_only,
        "policy_retention": policy.log_files.raw_ip_retention if policy.log_files else "",
        "setting_days": settings.WEBLOG_RAW_IP_RETENTION_DAYS,
        "retention_days": config.raw_ip_retention_days,
        **facts,
    }
    return render(request, "console/analytics_diagnostics.html", context)
