"""``keepfaith logs report`` on a terminal: the report as readable tables (the same figures
as ``--format json|csv``, which scripts and pipes get)."""

from __future__ import annotations

from typing import IO

from keepfaith.terminal import print_table
from keepfaith.weblog.reports import CountRow, WeblogReport

TOP = 10


def _counts(rows: list[CountRow]) -> list[tuple[object, ...]]:
    return [(r.value or "unknown", r.requests, r.visitors) for r in rows[:TOP]]


def report_tables(*, report: WeblogReport, stream: IO[str]) -> None:
    stream.write(f"Web analytics {report.start} to {report.end} (aggregates; names no one)\n")
    print_table(
        "Traffic per day",
        ("day", "requests", "page views", "visits", "visitors", "crawler requests"),
        [(str(r.day), r.requests, r.page_views, r.visits, r.visitors, r.crawler_requests)
         for r in report.daily],
        stream=stream,
    )  # fmt: skip
    print_table(
        "Entry pages", ("page", "visits"),
        [(r.value, r.visits) for r in report.entry_pages[:TOP]], stream=stream,
    )  # fmt: skip
    print_table(
        "Errors (4xx and 5xx)", ("status", "path", "requests"),
        [(str(e.status), e.path, e.requests) for e in report.errors[:TOP]],
        stream=stream, numeric_from=2,
    )  # fmt: skip
    for title, label, rows in (
        ("Downloads", "file", report.downloads),
        ("Referring sites", "site", report.referring_sites),
        ("Registry countries", "country", report.countries),
        ("Browsers", "browser", report.browsers),
        ("Crawlers (not visitors)", "crawler", report.crawlers),
    ):
        print_table(title, (label, "requests", "visitors"), _counts(rows), stream=stream)
