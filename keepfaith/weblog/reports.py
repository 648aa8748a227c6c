"""Reports over the daily aggregates, as plain typed data (a view or a command renders them).

Every figure is an aggregate; nothing here can name a client. Visitors are unique per day
(pseudonyms rotate daily), so over a range the report gives the sum of daily uniques.
Crawlers are reported apart and never counted as visitors or visits.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from keepfaith.weblog.store import WeblogPaths, weblog_connect

DEFAULT_DOWNLOAD_EXTENSIONS = (
    "pdf",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "7z",
    "rar",
    "tar",
    "exe",
    "msi",
    "dmg",
    "pkg",
    "deb",
    "rpm",
    "iso",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "odt",
    "ods",
    "csv",
    "epub",
    "mp3",
    "mp4",
)


@dataclass(frozen=True, slots=True)
class TrafficRow:
    """Traffic of one day (``hour`` None) or one hour of a day."""

    day: dt.date
    hour: int | None
    requests: int
    crawler_requests: int
    page_views: int
    visits: int
    visitors: int
    bytes: int


@dataclass(frozen=True, slots=True)
class CountRow:
    """How often one value was seen: a page, a country, a browser, a status ..."""

    value: str
    requests: int = 0
    visitors: int = 0
    visits: int = 0


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """Visits that went from one page straight to another."""

    from_path: str
    to_path: str
    visits: int


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """Requests answered with an error, by path and the page that linked to it."""

    status: int
    path: str
    referrer_page: str | None
    requests: int


@dataclass(frozen=True, slots=True)
class WeblogReport:
    """Everything the console and ``logs report`` show for a range of days."""

    start: dt.date
    end: dt.date
    daily: list[TrafficRow]
    hourly: list[TrafficRow]
    entry_pages: list[CountRow]
    exit_pages: list[CountRow]
    transitions: list[TransitionRow]
    downloads: list[CountRow]
    errors: list[ErrorRow]
    referring_sites: list[CountRow]
    countries: list[CountRow]
    browsers: list[CountRow]
    operating_systems: list[CountRow]
    crawlers: list[CountRow]
    statuses: list[CountRow]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def _dimension(
    con: duckdb.DuckDBPyConnection, name: str, span: list[Any], limit: int
) -> list[CountRow]:
    rows = _rows(
        con,
        """SELECT value, sum(requests)::BIGINT, sum(visitors)::BIGINT
        FROM dimension_counts WHERE dimension = ? AND day BETWEEN ? AND ?
        GROUP BY value ORDER BY 2 DESC, 1 LIMIT ?""",
        [name, *span, limit],
    )
    return [CountRow(value=str(v), requests=int(r), visitors=int(u)) for v, r, u in rows]


def _pages(
    con: duckdb.DuckDBPyConnection, table: str, span: list[Any], limit: int
) -> list[CountRow]:
    rows = _rows(
        con,
        f"""SELECT path, sum(visits)::BIGINT FROM {table}
        WHERE day BETWEEN ? AND ? GROUP BY path ORDER BY 2 DESC, 1 LIMIT ?""",
        [*span, limit],
    )
    return [CountRow(value=path, visits=int(visits)) for path, visits in rows]


def _traffic(con: duckdb.DuckDBPyConnection, span: list[Any], hourly: bool) -> list[TrafficRow]:
    table, hour = ("traffic_hourly", "hour") if hourly else ("traffic_daily", "NULL")
    rows = _rows(
        con,
        f"""SELECT day, {hour}, requests, crawler_requests, page_views, visits,
        visitors, bytes FROM {table} WHERE day BETWEEN ? AND ? ORDER BY 1, 2""",
        span,
    )
    return [
        TrafficRow(day, None if h is None else int(h), *(int(x) for x in rest))
        for day, h, *rest in rows
    ]


def _transitions(
    con: duckdb.DuckDBPyConnection, span: list[Any], limit: int
) -> list[TransitionRow]:
    rows = _rows(con, """SELECT from_path, to_path, sum(visits)::BIGINT
        FROM transitions WHERE day BETWEEN ? AND ? GROUP BY 1, 2
        ORDER BY 3 DESC, 1, 2 LIMIT ?""", [*span, limit])  # fmt: skip
    return [TransitionRow(a, b, int(n)) for a, b, n in rows]


def _downloads(
    con: duckdb.DuckDBPyConnection, span: list[Any], limit: int, extensions: Sequence[str]
) -> list[CountRow]:
    rows = _rows(con, """SELECT path, sum(requests)::BIGINT, sum(visitors)::BIGINT
        FROM files WHERE day BETWEEN ? AND ? AND list_contains(?, ext)
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?""",
        [*span, [ext.lower() for ext in extensions], limit])  # fmt: skip
    return [CountRow(p, int(r), int(v)) for p, r, v in rows]


def _errors(con: duckdb.DuckDBPyConnection, span: list[Any], limit: int) -> list[ErrorRow]:
    rows = _rows(con, """SELECT status, path, referrer_page, sum(requests)::BIGINT
        FROM errors WHERE day BETWEEN ? AND ? GROUP BY 1, 2, 3
        ORDER BY 4 DESC, 1, 2, 3 LIMIT ?""", [*span, limit])  # fmt: skip
    return [ErrorRow(int(s), p, ref, int(n)) for s, p, ref, n in rows]


def weblog_report(
    *,
    paths: WeblogPaths,
    start: dt.date,
    end: dt.date,
    limit: int = 50,
    download_extensions: Sequence[str] = DEFAULT_DOWNLOAD_EXTENSIONS,
    own_hosts: Sequence[str] = (),
) -> WeblogReport:
    """The report for the days ``start`` to ``end`` (both included); empty if no store.

    Referring sites leave out ``own_hosts`` (moves inside the site are not referrals).
    """
    if end < start:
        raise ValueError(f"report range ends ({end}) before it starts ({start})")
    if not paths.analytics.exists():
        weblog_connect(paths=paths).close()
    con = weblog_connect(paths=paths, read_only=True)
    span: list[Any] = [start, end]
    try:
        return WeblogReport(
            start=start,
            end=end,
            daily=_traffic(con, span, hourly=False),
            hourly=_traffic(con, span, hourly=True),
            entry_pages=_pages(con, "entry_pages", span, limit),
            exit_pages=_pages(con, "exit_pages", span, limit),
            transitions=_transitions(con, span, limit),
            downloads=_downloads(con, span, limit, download_extensions),
            errors=_errors(con, span, limit),
            referring_sites=[
                row
                for row in _dimension(con, "referrer", span, limit + len(own_hosts))
                if row.value not in {host.lower() for host in own_hosts}
            ][:limit],
            countries=_dimension(con, "country", span, limit),
            browsers=_dimension(con, "browser", span, limit),
            operating_systems=_dimension(con, "os", span, limit),
            crawlers=_dimension(con, "crawler", span, limit),
            statuses=_dimension(con, "status", span, 1000),
        )
    finally:
        con.close()


def dimension_totals(
    *, paths: WeblogPaths, dimension: str, start: dt.date, end: dt.date
) -> dict[str, int]:
    """Every value of ``dimension`` (``country``, ``browser``...) with its unique visitors
    summed over the days ``start`` to ``end``: visitor-days, crawlers left out, no limit.
    Empty when there is no store. For partner releases (``keepfaith.sharing``)."""
    if end < start:
        raise ValueError(f"range ends ({end}) before it starts ({start})")
    if not paths.analytics.exists():
        return {}
    con = weblog_connect(paths=paths, read_only=True)
    try:
        rows = _rows(
            con,
            """SELECT value, sum(visitors)::BIGINT FROM dimension_counts
            WHERE dimension = ? AND day BETWEEN ? AND ? GROUP BY value HAVING sum(visitors) > 0""",
            [dimension, start, end],
        )
    finally:
        con.close()
    return {str(value): int(count) for value, count in rows}


def report_span(*, paths: WeblogPaths, days: int = 30) -> tuple[dt.date, dt.date] | None:
    """The last ``days`` days up to the latest day that has data; None when there is none."""
    if not paths.analytics.exists():
        return None
    con = weblog_connect(paths=paths, read_only=True)
    try:
        row = con.execute("SELECT max(day) FROM traffic_daily").fetchone()
    finally:
        con.close()
    last = row[0] if row else None
    if last is None:
        return None
    return last - dt.timedelta(days=days - 1), last


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def report_json(*, report: WeblogReport) -> str:
    """The report as one JSON document (sections are lists of objects)."""
    data = dataclasses.asdict(report)
    return json.dumps(data, default=_plain, indent=2, sort_keys=False)


def report_csv(*, report: WeblogReport) -> str:
    """The report as one CSV table: ``section, key, detail, requests, visitors, visits``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "detail", "requests", "visitors", "visits"])
    for row in report.daily + report.hourly:
        key = row.day.isoformat() + ("" if row.hour is None else f" {row.hour:02d}:00")
        section = "daily" if row.hour is None else "hourly"
        writer.writerow([section, key, "", row.requests, row.visitors, row.visits])
    for section in (
        "entry_pages",
        "exit_pages",
        "downloads",
        "referring_sites",
        "countries",
        "browsers",
        "operating_systems",
        "crawlers",
        "statuses",
    ):
        for item in getattr(report, section):
            writer.writerow([section, item.value, "", item.requests, item.visitors, item.visits])
    for move in report.transitions:
        writer.writerow(["transitions", move.from_path, move.to_path, "", "", move.visits])
    for err in report.errors:
        writer.writerow(
            ["errors", f"{err.status} {err.path}", err.referrer_page or "", err.requests, "", ""]
        )
    return out.getvalue()
