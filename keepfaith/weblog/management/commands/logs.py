"""``keepfaith logs ingest|report|purge``: web-log analytics that cannot identify anyone."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.terminal import is_terminal, progress, whole_number
from keepfaith.weblog.aggregate import logs_aggregate
from keepfaith.weblog.conf import (
    configured_format,
    download_extensions,
    weblog_config,
    weblog_config_in_force,
)
from keepfaith.weblog.forget import LogForgetError, logs_forget
from keepfaith.weblog.formats import LogFormatError, log_format
from keepfaith.weblog.ingest import IngestReport, logs_ingest
from keepfaith.weblog.reports import report_csv, report_json, weblog_report
from keepfaith.weblog.retention import logs_compact, logs_purge
from keepfaith.weblog.spark import SparkEngineError
from keepfaith.weblog.store import WeblogStoreError
from keepfaith.weblog.tables import report_tables


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


class _Bar:
    """Progress of an ingest on stderr (``rich``, only on a terminal), one bar per file."""

    def __init__(self) -> None:
        self.active = is_terminal(sys.stderr)
        self._stack: contextlib.ExitStack | None = None
        self._update: Any = None

    def __call__(self, path: str, done: int, total: int | None) -> None:
        if not self.active:
            return
        if self._update is None:
            self._stack = contextlib.ExitStack()
            self._update = self._stack.enter_context(progress(Path(path).name, total=total))
        self._update(completed=done, total=total, description=Path(path).name[:30])

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()


def _count(number: int, word: str) -> str:
    """``1 request``, ``2 requests``."""
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


class Command(BaseCommand):
    help = (
        "Web-log analytics. `ingest PATH...` reads Apache/nginx access logs (plain or gzip) "
        "idempotently, in the format detected from each file's first lines unless --format "
        "says; `forget PATH...` removes what was read from a file, so it can be read again; "
        "`report --from --to --format json|csv` prints the aggregates; `purge` "
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
            default=None,
            help="common, combined, nginx, vhost_combined, or a LogFormat / log_format string "
            "(default: detected from the first lines, among these and KEEPFAITH_WEBLOG_FORMAT)",
        )
        ingest.add_argument(
            "--no-aggregate",
            dest="aggregate",
            action="store_false",
            help="leave the days marked for `logs aggregate` (on Spark, say)",
        )
        forget = sub.add_parser("forget", help="remove what was read from a file")
        forget.add_argument("paths", nargs="+", type=Path)
        agg = sub.add_parser("aggregate", help="compute the report tables of the marked days")
        agg.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
        agg.add_argument("--master", default="local[*]", help="Spark master URL (spark engine)")
        agg.add_argument(
            "--parts",
            default=None,
            help="URI of the fact parts' folder (day=... below it) on storage the Spark "
            "workers read; default: the local store's listed parts",
        )
        agg.add_argument("--all", dest="every_day", action="store_true",
                         help="every day with facts, not only the marked ones")  # fmt: skip
        report = sub.add_parser("report", help="print the aggregates of a range of days")
        report.add_argument("--from", dest="start", type=_date, required=True)
        report.add_argument("--to", dest="end", type=_date, required=True)
        report.add_argument(
            "--format",
            dest="output",
            choices=("table", "json", "csv"),
            default=None,
            help="table on a terminal, json when piped (unless given)",
        )
        report.add_argument("--limit", type=whole_number(1, 100_000), default=50)
        report.add_argument(
            "--as",
            dest="actor",
            default="",
            help="the staff member reading the reports: the policy must grant them, as in the "
            "console (without it, the read is the operator's, audited as such)",
        )
        sub.add_parser("purge", help="apply the retention of the diagnostics store")
        sub.add_parser("compact", help="merge each closed day's Parquet parts into one")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        self.verbosity = int(options.get("verbosity", 1))
        if action == "ingest":
            self._ingest(options["paths"], options["log_format"], options["aggregate"])
        elif action == "aggregate":
            self._aggregate(options)
        elif action == "forget":
            self._forget(options["paths"])
        elif action == "report":
            if options["end"] < options["start"]:  # refused before any read is recorded
                raise CommandError(
                    f"report range ends ({options['end']}) before it starts ({options['start']})"
                )
            self._report_read(options["actor"], options["start"], options["end"])
            self._report(options["start"], options["end"], options["output"], options["limit"])
        elif action == "compact":
            try:
                days = logs_compact(
                    config=weblog_config_in_force(policy=in_force().policy),
                    actor=Actor.system("keepfaith logs compact"),
                )
            except WeblogStoreError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"compacted the parts of {days} days")
        else:
            try:
                done = logs_purge(
                    config=weblog_config_in_force(policy=in_force().policy),
                    actor=Actor.system("keepfaith logs purge"),
                )
            except WeblogStoreError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"purged {done.raw_hits_removed} raw addresses, "
                f"destroyed {done.keys_destroyed} day keys"
            )

    def _aggregate(self, options: dict[str, Any]) -> None:
        config = weblog_config_in_force(policy=in_force().policy)
        try:
            days = logs_aggregate(
                paths=config.paths,
                visit_gap_minutes=config.visit_gap_minutes,
                batch_rows=config.aggregate_batch_rows,
                threads=config.threads,
                memory_mb=config.memory_mb,
                engine=options["engine"],
                master=options["master"],
                parts_uri=options["parts"],
                every_day=options["every_day"],
            )
        except (WeblogStoreError, SparkEngineError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{days} days aggregated on {options['engine']}")

    def _ingest(self, paths: list[Path], spec: str | None, aggregate: bool) -> None:
        try:
            fmt = None if spec is None else log_format(spec=spec)
        except LogFormatError as exc:
            raise CommandError(str(exc)) from exc
        bar = _Bar()
        try:
            result = logs_ingest(
                config=weblog_config_in_force(policy=in_force().policy),
                sources=paths,
                fmt=fmt,
                configured=configured_format(),
                progress=bar,
                aggregate_days=aggregate,
            )
        except WeblogStoreError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self._print_ingest(result)
        if result.refused or result.unreadable:  # the others are ingested all the same
            raise CommandError("\n".join([*result.unreadable, *result.refused]))

    def _forget(self, paths: list[Path]) -> None:
        try:
            results = logs_forget(
                config=weblog_config_in_force(policy=in_force().policy), sources=paths
            )
        except (WeblogStoreError, LogForgetError) as exc:
            raise CommandError(str(exc)) from exc
        for done in results:
            self.stdout.write(
                f"{done.path}: forgot {done.requests} requests ({done.lines} lines) in "
                f"{done.parts} parts; {done.days} days aggregated again"
            )

    verbosity = 1

    def _print_ingest(self, result: IngestReport) -> None:
        for item in result.files:
            if item.unreadable:
                continue  # the error at the end says why
            if item.skipped:
                self.stdout.write(f"{item.path}: skipped: {item.skipped}")
                continue
            if item.refused:
                continue  # the error at the end says why, and what the lines look like
            how = f" ({item.detected})" if item.detected else ""
            self.stdout.write(f"{item.path}: format {item.format}{how}")
            self.stdout.write(
                f"{item.path}: {_count(item.new_lines, 'new line')}, "
                f"{_count(item.requests, 'request')}, {item.malformed} malformed, "
                f"{item.out_of_order} out of order"
            )
            for reason, number, excerpt in item.samples:
                self.stdout.write(f"  {item.path}:{number}: malformed ({reason}): {excerpt}")
        failed = all(item.unreadable or item.refused for item in result.files)
        quiet = not (result.days_aggregated or result.keys_destroyed or result.days_merged)
        if failed and quiet:  # nothing was read or done: the error alone says it, once
            return
        self.stdout.write(
            f"{_count(result.requests, 'request')} in total; "
            f"{_count(result.days_aggregated, 'day')} aggregated; "
            f"{_count(result.keys_destroyed, 'day key')} destroyed; "
            f"parts of {_count(result.days_merged, 'day')} merged"
        )
        if self.verbosity >= 2:  # the profile bench/logs.py prints
            phases = ", ".join(f"{name} {secs:.2f}" for name, secs in result.phases.items())
            self.stdout.write(f"phases (s): {phases}")

    @staticmethod
    def _report_read(email: str, start: dt.date, end: dt.date) -> None:
        """The reports are read as the console reads them (BE-5): a staff member's read asked
        of the gate, an operator's recorded as such; either way in the audit log."""
        from keepfaith.audit.services import Actor, audit_append
        from keepfaith.console.cli import staff_cli_read
        from keepfaith.console.reads import analytics_read
        from keepfaith.inforce import in_force

        read = analytics_read(in_force().policy)
        command = f"logs report --from {start} --to {end}"
        if email:
            staff_cli_read(email=email, read=read, subjects=[], command=command)
            return
        audit_append(
            actor=Actor.system("logs report"),
            action=read.action,
            outcome="read",
            categories=read.categories,
            use=read.uses[0],
            clauses=read.clauses,
            detail={"command": command},
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
        stream: Any = self.stdout._out  # the real stream (a terminal or not)
        output = output or ("table" if is_terminal(stream) else "json")
        if output == "table":
            report_tables(report=report, stream=stream)
            return
        text = report_json(report=report) if output == "json" else report_csv(report=report)
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
