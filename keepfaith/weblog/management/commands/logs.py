"""``keepfaith logs ingest|report|purge``: web-log analytics that cannot identify anyone."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.weblog.conf import download_extensions, weblog_config, weblog_config_in_force
from keepfaith.weblog.formats import LogFormatError, log_format
from keepfaith.weblog.ingest import IngestReport, logs_ingest
from keepfaith.weblog.reports import report_csv, report_json, weblog_report
from keepfaith.weblog.retention import logs_compact, logs_purge
from keepfaith.weblog.store import WeblogStoreError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


class _Bar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()

    def __call__(self, path: str, done: int, total: int | None) -> None:
        if not self.active:
            return
        if total:
            filled = int(30 * done / total)
            text = f"[{'#' * filled}{'.' * (30 - filled)}] {done * 100 // total:3d}%"
        else:
            text = f"{done / 1e6:,.0f} MB"
        sys.stderr.write(f"\r{Path(path).name[:30]:30} {text}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.active:
            sys.stderr.write("\n")


class Command(BaseCommand):
    help = (
        "Web-log analytics. `ingest PATH...` reads Apache/nginx access logs (plain or gzip) "
        "idempotently; `report --from --to --format json|csv` prints the aggregates; `purge` "
        "deletes raw addresses older than the policy's log_files.raw_ip_retention (7d in the "
        "examples; KEEPFAITH_RAW_IP_RETENTION_DAYS can only shorten it) and the pseudonym keys "
        "of closed days: run it daily (`keepfaith jobs run` does); `compact` merges each closed "
        "day's Parquet parts into one (also daily)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="read access logs")
        ingest.add_argument("paths", nargs="+", type=Path)
        ingest.add_argument(
            "--format",
            dest="log_format",
            default="combined",
            help="common, combined, nginx, vhost_combined, or a LogFormat / log_format string",
        )
        report = sub.add_parser("report", help="print the aggregates of a range of days")
        report.add_argument("--from", dest="start", type=_date, required=True)
        report.add_argument("--to", dest="end", type=_date, required=True)
        report.add_argument("--format", dest="output", choices=("json", "csv"), default="json")
        report.add_argument("--limit", type=int, default=50)
        sub.add_parser("purge", help="apply the retention of the diagnostics store")
        sub.add_parser("compact", help="merge each closed day's Parquet parts into one")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "ingest":
            self._ingest(options["paths"], options["log_format"])
        elif action == "report":
            self._report(options["start"], options["end"], options["output"], options["limit"])
        elif action == "compact":
            try:
                days = logs_compact(config=weblog_config_in_force())
            except WeblogStoreError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"compacted the parts of {days} days")
        else:
            try:
                done = logs_purge(config=weblog_config_in_force())
            except WeblogStoreError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"purged {done.raw_hits_removed} raw addresses, "
                f"destroyed {done.keys_destroyed} day keys"
            )

    def _ingest(self, paths: list[Path], spec: str) -> None:
        try:
            fmt = log_format(spec=spec)
        except LogFormatError as exc:
            raise CommandError(str(exc)) from exc
        bar = _Bar()
        try:
            result = logs_ingest(
                config=weblog_config_in_force(), sources=paths, fmt=fmt, progress=bar
            )
        except WeblogStoreError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self._print_ingest(result)

    def _print_ingest(self, result: IngestReport) -> None:
        for item in result.files:
            if item.skipped:
                self.stdout.write(f"{item.path}: skipped: {item.skipped}")
                continue
            self.stdout.write(
                f"{item.path}: {item.new_lines} new lines, {item.requests} requests, "
                f"{item.malformed} malformed, {item.out_of_order} out of order"
            )
            for reason, excerpt in item.samples:
                self.stdout.write(f"  malformed ({reason}): {excerpt}")
        self.stdout.write(
            f"{result.requests} requests in total; {result.days_aggregated} days aggregated; "
            f"{result.keys_destroyed} day keys destroyed; {result.days_merged} days' parts merged"
        )

    def _report(self, start: dt.date, end: dt.date, output: str, limit: int) -> None:
        try:
            report = weblog_report(
                paths=weblog_config().paths,
                start=start,
                end=end,
                limit=limit,
                download_extensions=download_extensions(),
                own_hosts=settings.WEBLOG_OWN_HOSTS,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        text = report_json(report=report) if output == "json" else report_csv(report=report)
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
