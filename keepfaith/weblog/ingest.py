"""Streaming, idempotent ingest of access logs into the web-log store.

Rules this module keeps:

- A file is known by a fingerprint of its first line, not by its path: a renamed file is
  not counted twice, a rotated file (new first line) is a new file.
- Workers prepare chunks of complete lines in parallel (parse, lookups, the chunk's fact
  and raw Parquet parts), each on its own connection. Commits follow file order: one per
  store lists the chunk's parts and moves the byte offset it ends at, so a run killed at
  any moment and run again ends with exactly the rows of one clean run (parts no commit
  lists are deleted). A last line without its newline waits for the next run.
- Memory is bounded by the chunk size and the number of workers, not by the file size.
- Malformed lines are counted and a few sampled (addresses masked); they never stop a run.
- Per line, the work is compiled: the scanner (``fastparse``, ``_linescan.c``) cuts lines
  into Arrow columns, and Arrow builds the facts (``facts``); the country, the network, the
  user-agent families and the pseudonym are computed once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from threading import Lock
from typing import BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.weblog import aggregate
from keepfaith.weblog.facts import chunk_facts
from keepfaith.weblog.fastparse import chunk_parse
from keepfaith.weblog.formats import LogFormat
from keepfaith.weblog.parse import redacted_excerpt
from keepfaith.weblog.store import (
    Part,
    WeblogPaths,
    day_keys,
    day_keys_close,
    days_merge,
    fact_parts,
    raw_parts,
    weblog_connect,
)

FINGERPRINT_BYTES = 64 * 1024
SAMPLES_PER_FILE = 5
OUT_OF_ORDER_MINUTES = 10
OUT_OF_ORDER_SLACK = f"{OUT_OF_ORDER_MINUTES} MINUTE"
DAY_PARTS_MAX = 48  # a day listed in more parts is merged at the end of the ingest
Progress = Callable[[str, int, int | None], None]
# Lines, requests, requests late (more than the slack older than an earlier request of the
# chunk or than the parameter: the file's latest request before it, NULL for none), first
# and last request time of the chunk in ``parsed``.
CHUNK_TIMES_SQL = f"""
SELECT count(*), count(ok), count(*) FILTER (WHERE ok + INTERVAL {OUT_OF_ORDER_SLACK}
        < greatest(before, ?::TIMESTAMP)),
    min(ok), max(ok)
FROM (SELECT ok, max(ok) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        AS before
    FROM (SELECT n, CASE WHEN problem IS NULL THEN ts END AS ok FROM parsed))"""


@dataclass(frozen=True, slots=True)
class WeblogConfig:
    """How ingest runs: where the stores are and the retention rules they keep."""

    paths: WeblogPaths
    raw_ip_retention_days: int = 7
    key_grace_days: int = 1
    chunk_bytes: int = 8 * 1024 * 1024
    visit_gap_minutes: int = 30
    threads: int = 2
    memory_mb: int = 256
    workers: int = 2

    @property
    def aggregate_batch_rows(self) -> int:
        """Requests per batch of day aggregates: about 4,000 per MB of the budget."""
        return self.memory_mb * 4000


@dataclass(slots=True)
class FileReport:
    """What one ingest run did with one file."""

    path: str
    fingerprint: str = ""
    new_lines: int = 0
    requests: int = 0
    malformed: int = 0
    out_of_order: int = 0
    skipped: str | None = None
    samples: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class IngestReport:
    """The outcome of one ``logs ingest`` run."""

    files: list[FileReport] = field(default_factory=list)
    days_aggregated: int = 0
    keys_destroyed: int = 0
    days_merged: int = 0

    @property
    def requests(self) -> int:
        return sum(item.requests for item in self.files)

    @property
    def malformed(self) -> int:
        return sum(item.malformed for item in self.files)


class LogSourceError(ValueError):
    """A path that cannot be read as a log."""


def _open(path: Path) -> BinaryIO:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise LogSourceError(f"{path}: cannot read: {exc.strerror}") from exc
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def file_fingerprint(*, path: Path) -> str | None:
    """sha256 of the first complete line (up to 64 KiB); None while there is none."""
    with _open(path) as handle:
        head = handle.read(FINGERPRINT_BYTES)
    cut = head.find(b"\n")
    if cut < 0 and len(head) < FINGERPRINT_BYTES:
        return None
    return hashlib.sha256(head[: cut + 1] if cut >= 0 else head).hexdigest()


def _chunks(handle: BinaryIO, start: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of successive runs of complete lines from ``start``."""
    skip = start
    while skip > 0:
        got = handle.read(min(skip, size))
        if not got:
            return
        skip -= len(got)
    offset, pending = start, b""
    while True:
        data = handle.read(size)
        if not data:
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            pending += data
            continue
        chunk = pending + data[: cut + 1] if pending else data[: cut + 1]
        pending = data[cut + 1 :]
        yield offset, chunk
        offset += len(chunk)


def _raw_requests(parsed: pa.Table, first: int, cutoff: dt.datetime) -> pa.Table:
    """The requests from line ``first`` on, no older than ``cutoff``, with their address."""
    keep = pc.and_(
        pc.and_(pc.is_null(parsed.column("problem")), pc.greater_equal(parsed.column("n"), first)),
        pc.greater_equal(parsed.column("ts"), pa.scalar(cutoff, pa.timestamp("us"))),
    )
    rows = parsed.filter(keep)
    return pa.table({
        "day": pc.cast(rows.column("ts"), pa.date32()),
        "ts": rows.column("ts"),
        "address": rows.column("host"),
        "request": rows.column("request"),
        "status": rows.column("status"),
        "user_agent": rows.column("user_agent"),
    })  # fmt: skip


@dataclass(slots=True)
class _Cursor:
    """Where each store stands in one file, and what this run has seen of it."""

    fingerprint: str
    path: str
    offset: int
    diag_from: int
    totals: list[int]  # lines, requests, malformed, out_of_order (all runs)
    last_ts: dt.datetime | None = None


def _cursor(con: duckdb.DuckDBPyConnection, fingerprint: str, path: Path) -> _Cursor:
    rows = con.execute(
        "SELECT byte_offset, lines, requests, malformed, out_of_order FROM ingested_files "
        "WHERE fingerprint = ?",
        [fingerprint],
    ).fetchall()
    diag = con.execute(
        "SELECT byte_offset FROM diag.checkpoints WHERE fingerprint = ?", [fingerprint]
    ).fetchall()
    offset = int(rows[0][0]) if rows else 0
    totals = [int(value) for value in rows[0][1:]] if rows else [0, 0, 0, 0]
    diag_from = max(offset, int(diag[0][0]) if diag else 0)
    return _Cursor(fingerprint, str(path), offset, diag_from, totals)


@dataclass(slots=True)
class _Prepared:
    """One chunk parsed and written as fact parts by a worker, waiting for its commit."""

    con: duckdb.DuckDBPyConnection  # the worker's own connection: ``parsed`` lives there
    start: int
    end: int
    lines: int
    good: int
    parts: list[Part]
    raw: list[Part]  # parts of raw requests, for the diagnostics store
    late: int  # requests more than the slack older than an earlier one of the chunk
    first_ts: dt.datetime | None  # the earliest and latest request of the chunk
    last_ts: dt.datetime | None


def _prepare(
    con: duckdb.DuckDBPyConnection,
    job: tuple[int, bytes],
    *,
    fmt: LogFormat,
    paths: WeblogPaths,
    fingerprint: str,
    diag_from: int,
    cutoff: dt.datetime,
    now: dt.datetime,
    keys_lock: Lock,
) -> _Prepared:
    """Everything about a chunk that needs no order: parse, lookups, the Parquet parts."""
    start, chunk = job
    stem = f"{fingerprint[:16]}-{start:014d}"
    parsed = chunk_parse(con, chunk, fmt)
    lines, good, late, first_ts, last_ts = con.execute(CHUNK_TIMES_SQL, [None]).fetchall()[0]
    parts: list[Part] = []
    raw: list[Part] = []
    if good:

        def keys(days: list[dt.date]) -> dict[dt.date, bytes]:
            with keys_lock:  # one day, one key: workers meeting a new day create it once
                return day_keys(con=con, days=days, now=now)

        parts = fact_parts(paths).write_table(chunk_facts(parsed, day_keys=keys), stem=stem)
    if good and start + len(chunk) > diag_from:
        # Lines before diag_from reached the diagnostics store in a run that was killed.
        first = chunk.count(b"\n", 0, diag_from - start) if diag_from > start else 0
        raw = raw_parts(paths).write_table(_raw_requests(parsed, first, cutoff), stem=stem)
    return _Prepared(
        con, start, start + len(chunk), int(lines), int(good), parts, raw, int(late),
        first_ts, last_ts,
    )  # fmt: skip


def _diagnostics_write(
    con: duckdb.DuckDBPyConnection, cur: _Cursor, job: _Prepared, paths: WeblogPaths
) -> None:
    """List the chunk's raw parts in the commit that moves the diagnostics checkpoint."""
    if job.end <= cur.diag_from:  # a killed run got this far in the diagnostics store
        return
    con.execute("BEGIN")
    if job.raw:
        raw_parts(paths).list_parts(con, job.raw, cur.fingerprint, job.start)
    con.execute("INSERT OR REPLACE INTO diag.checkpoints VALUES (?, ?)", [cur.fingerprint, job.end])
    con.execute("COMMIT")
    cur.diag_from = job.end


def _out_of_order(con: duckdb.DuckDBPyConnection, cur: _Cursor, job: _Prepared) -> int:
    """Requests more than the slack older than one before them in the file.

    The worker counted those late within the chunk; only a chunk that starts before the
    file's latest request so far needs a second look, with that time.
    """
    late = job.late
    slack = dt.timedelta(minutes=OUT_OF_ORDER_MINUTES)
    if cur.last_ts is not None and job.first_ts is not None and job.first_ts + slack < cur.last_ts:
        late = con.execute(CHUNK_TIMES_SQL, [cur.last_ts]).fetchall()[0][2]
    if job.last_ts is not None:
        cur.last_ts = max(job.last_ts, cur.last_ts) if cur.last_ts else job.last_ts
    return int(late)


def _facts_commit(
    con: duckdb.DuckDBPyConnection,
    cur: _Cursor,
    report: FileReport,
    job: _Prepared,
    paths: WeblogPaths,
) -> None:
    """List the chunk's fact parts in the commit that moves the file's checkpoint."""
    out_of_order = _out_of_order(con, cur, job) if job.good else 0
    if len(report.samples) < SAMPLES_PER_FILE and job.lines > job.good:
        for reason, line in con.execute(
            "SELECT problem, line FROM parsed WHERE problem IS NOT NULL ORDER BY n LIMIT ?",
            [SAMPLES_PER_FILE - len(report.samples)],
        ).fetchall():
            report.samples.append((reason, redacted_excerpt(line=line)))
    deltas = (job.lines, job.good, job.lines - job.good, out_of_order)
    cur.totals = [total + delta for total, delta in zip(cur.totals, deltas, strict=True)]
    con.execute("BEGIN")
    if job.parts:
        fact_parts(paths).list_parts(con, job.parts, cur.fingerprint, job.start)
        days = sorted({part.day for part in job.parts})  # each part holds one day
        con.execute("INSERT OR IGNORE INTO dirty_days SELECT unnest(?::DATE[])", [days])
    con.execute(
        "INSERT OR REPLACE INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [cur.fingerprint, cur.path, job.end, *cur.totals],
    )
    con.execute("COMMIT")
    cur.offset = job.end
    report.new_lines += job.lines
    report.requests += job.good
    report.malformed += job.lines - job.good
    report.out_of_order += out_of_order


def _file_ingest(
    con: duckdb.DuckDBPyConnection,
    *,
    path: Path,
    fmt: LogFormat,
    config: WeblogConfig,
    now: dt.datetime,
    progress: Progress | None,
) -> FileReport:
    """Ingest one file: workers prepare chunks in parallel, commits follow file order."""
    report = FileReport(path=str(path))
    fingerprint = file_fingerprint(path=path)
    if fingerprint is None:
        report.skipped = "no complete line yet"
        return report
    report.fingerprint = fingerprint
    cur = _cursor(con, fingerprint, path)
    cutoff = now.replace(tzinfo=None) - dt.timedelta(days=config.raw_ip_retention_days)
    prepare = partial(
        _prepare,
        fmt=fmt,
        paths=config.paths,
        fingerprint=fingerprint,
        diag_from=cur.diag_from,
        cutoff=cutoff,
        now=now,
        keys_lock=Lock(),
    )
    workers = max(1, config.workers)
    with _open(path) as handle, ThreadPoolExecutor(max_workers=workers) as pool:
        total = None if isinstance(handle, gzip.GzipFile) else path.stat().st_size
        if total is not None and total < cur.offset:
            report.skipped = "file is shorter than what was ingested from it: not the same log"
            return report
        pending: deque[tuple[Future[_Prepared], duckdb.DuckDBPyConnection]] = deque()

        def commit_oldest() -> None:
            future, worker = pending.popleft()
            try:
                job = future.result()
            except BaseException:
                worker.close()
                raise
            _commit(job, cur=cur, report=report, paths=config.paths, progress=progress, total=total)

        try:
            for job in _chunks(handle, cur.offset, config.chunk_bytes):
                worker = con.cursor()  # its own connection: temp tables are per connection
                pending.append((pool.submit(prepare, worker, job), worker))
                while len(pending) > workers or (pending and pending[0][0].done()):
                    commit_oldest()
            while pending:
                commit_oldest()
        finally:  # an error stopped the run: let the workers stop, then close their connections
            for future, _ in pending:
                future.cancel()
            wait([future for future, _ in pending])
            for _, worker in pending:
                worker.close()
    return report


def _commit(
    job: _Prepared,
    *,
    cur: _Cursor,
    report: FileReport,
    paths: WeblogPaths,
    progress: Progress | None,
    total: int | None,
) -> None:
    """The ordered part of a chunk: diagnostics, then facts, each with its checkpoint."""
    try:
        _diagnostics_write(job.con, cur, job, paths)
        _facts_commit(job.con, cur, report, job, paths)
    finally:
        job.con.close()
    if progress is not None:
        progress(cur.path, cur.offset, total)


def logs_ingest(
    *,
    config: WeblogConfig,
    sources: Sequence[Path],
    fmt: LogFormat,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest ``sources`` (plain or gzip) in ``fmt``; aggregate the days they touched."""
    moment = now or dt.datetime.now(dt.UTC)
    report = IngestReport()
    # Workers run a chunk's statements one thread each; the day aggregates get them all.
    con = weblog_connect(paths=config.paths, threads=1, memory_mb=config.memory_mb)
    try:
        for parts in (fact_parts(config.paths), raw_parts(config.paths)):
            parts.sweep(con)
        for path in sources:
            try:
                report.files.append(
                    _file_ingest(
                        con, path=path, fmt=fmt, config=config, now=moment, progress=progress
                    )
                )
            except LogSourceError as exc:
                report.files.append(FileReport(path=str(path), skipped=str(exc)))
        con.execute(f"SET threads = {int(config.threads)}")
        report.days_aggregated = aggregate.dirty_days_refresh(
            con=con,
            paths=config.paths,
            visit_gap_minutes=config.visit_gap_minutes,
            batch_rows=config.aggregate_batch_rows,
        )
        report.keys_destroyed = day_keys_close(
            con=con, now=moment, grace_days=config.key_grace_days
        )
        # A log ingested every few minutes adds a part per run to the days still open, which
        # the daily ``logs compact`` merges only once they close: merge crowded ones now.
        report.days_merged = days_merge(con, config.paths, more_than=DAY_PARTS_MAX)
    finally:
        con.close()
    return report
