"""Streaming, idempotent ingest of access logs into the web-log store.

Rules this module keeps:

- A file is known by a fingerprint of its first lines (up to eight), not by its path: a
  renamed file is not counted twice, a rotated file (new first lines) is a new file. A file
  first read with fewer lines is known by those; another that starts with exactly those
  lines is taken for it, and its copies of them are counted once.
- Workers prepare chunks of complete lines in parallel (parse, lookups, the chunk's fact
  and raw Parquet parts), each on its own connection. Commits follow file order: one per
  store lists the chunk's parts and moves the byte offset it ends at, so a run killed at
  any moment and run again ends with exactly the rows of one clean run (parts no commit
  lists are deleted). A last line without its newline waits for the next run.
- Memory is bounded by the chunk size and the number of workers, not by the file size.
- Malformed lines are counted and a few sampled (addresses masked). A file whose first lines
  are mostly malformed is refused before anything is read, naming the format they look like
  (``detect``); a later chunk that is mostly malformed stops the file before its commit.
  Without a format, each new file's is detected from its first lines, and kept for the next
  runs over that file.
- Per line, the work is compiled: the scanner (``fastparse``, ``_linescan.c``) cuts lines
  into Arrow columns, and Arrow builds the facts (``facts``); the country, the network, the
  user-agent families and the pseudonym are computed once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import gzip
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from threading import Lock

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.memo import short_text_cache
from keepfaith.urlsecrets import scrub_urls
from keepfaith.vault.scrub import scrub_card_data
from keepfaith.weblog import aggregate
from keepfaith.weblog.commits import (
    Batch,
    Cursor,
    FileReport,
    Prepared,
    Refused,
    add_times,
    batch_flush,
    chunk_settle,
    chunk_times,
    file_cursor,
    known_fingerprint,
    request_times,
)
from keepfaith.weblog.detect import (
    HEAD_MAX_BYTES,
    SAMPLE_BYTES,
    format_guess,
    format_name,
    format_score,
    mismatch_message,
    sample_lines,
)
from keepfaith.weblog.facts import chunk_facts
from keepfaith.weblog.fastparse import chunk_parse
from keepfaith.weblog.formats import LogFormat, log_format
from keepfaith.weblog.sources import (
    LineTooLong,
    LogSourceError,
    file_fingerprints,
    line_chunks,
    log_open,
)
from keepfaith.weblog.store import (
    Part,
    WeblogPaths,
    day_keys,
    day_keys_close,
    days_merge,
    fact_parts,
    raw_parts,
    session_cursor,
    weblog_connect,
)

Progress = Callable[[str, int, int | None], None]
DAY_PARTS_MAX = 48  # a day listed in more parts is merged at the end of the ingest


@dataclass(frozen=True, slots=True)
class WeblogConfig:
    """How ingest runs: where the stores are and the retention rules they keep."""

    paths: WeblogPaths
    raw_ip_retention_days: int = 7
    key_grace_days: int = 1
    chunk_bytes: int = 4 * 1024 * 1024
    visit_gap_minutes: int = 30
    threads: int = 2
    memory_mb: int = 256
    workers: int = 2
    commit_chunks: int = 16  # chunks listed per commit: fewer commits, more redone after a kill

    @property
    def aggregate_batch_rows(self) -> int:
        """Requests per batch of day aggregates: about 4,000 per MB of the budget."""
        return self.memory_mb * 4000


@dataclass(slots=True)
class IngestReport:
    """The outcome of one ``logs ingest`` run."""

    files: list[FileReport] = field(default_factory=list)
    days_aggregated: int = 0
    keys_destroyed: int = 0
    days_merged: int = 0
    run_phases: dict[str, float] = field(default_factory=dict)  # wall s of end-of-run steps

    @property
    def phases(self) -> dict[str, float]:
        """Seconds per phase, for the benchmark's profile: CPU time of the workers' steps
        (summed over workers), wall time of the main thread's (waits, ordered commits, the
        end-of-run steps)."""
        total = dict(self.run_phases)
        for item in self.files:
            for phase, seconds in item.phases.items():
                total[phase] = total.get(phase, 0.0) + seconds
        return total

    @property
    def requests(self) -> int:
        return sum(item.requests for item in self.files)

    @property
    def malformed(self) -> int:
        return sum(item.malformed for item in self.files)

    @property
    def refused(self) -> list[str]:
        return [item.refused for item in self.files if item.refused]

    @property
    def unreadable(self) -> list[str]:
        """Why each file that could not be read was not (it names the file)."""
        return [item.skipped or item.path for item in self.files if item.unreadable]


def _same(text: str, rows: int) -> pa.DictionaryArray:
    """``text`` on each of ``rows`` rows, as a one-value dictionary column: the text is held
    once (a plain column would copy it per row, and the Parquet writer then hash every copy
    to encode it again)."""
    return pa.DictionaryArray.from_arrays(
        pa.repeat(pa.scalar(0, pa.int32()), rows), pa.array([text], pa.string())
    )


@short_text_cache(maxsize=16_384)  # a log repeats its request lines, chunk after chunk
def _line_shown(line: str) -> str:
    return scrub_urls(scrub_card_data(line))


def _requests_shown(requests: pa.ChunkedArray) -> pa.DictionaryArray:
    """Each request line with card data masked and the secrets in its URL replaced
    (``scrub_urls``: a sign-up, reset or unsubscribe token would still work for whoever reads
    it), worked out once per distinct line. Dictionary-encoded: a log repeats its request
    lines, and the raw part stores them so (a third smaller, and quicker to write)."""
    lines = pc.dictionary_encode(requests.combine_chunks())
    shown = _line_shown.each(lines.dictionary.to_pylist())
    return pa.DictionaryArray.from_arrays(lines.indices, pa.array(shown, pa.string()))


def _raw_requests(parsed: pa.Table, first: int, cutoff: dt.datetime, source: str) -> pa.Table:
    """The requests from line ``first`` on, no older than ``cutoff``, with their address (the
    request line with its URL's secrets replaced)."""
    keep = pc.and_(
        pc.and_(pc.is_null(parsed.column("problem")), pc.greater_equal(parsed.column("n"), first)),
        pc.greater_equal(parsed.column("ts"), pa.scalar(cutoff, pa.timestamp("us"))),
    )
    # Usually every row is kept: a filter would copy the whole chunk (a sixth of the raw part)
    whole = pc.sum(pc.fill_null(keep, False)).as_py() == len(parsed)
    rows = parsed if whole else parsed.filter(keep)
    return pa.table({
        "day": pc.cast(rows.column("ts"), pa.date32()),
        "ts": rows.column("ts"),
        "address": rows.column("host"),
        "request": _requests_shown(rows.column("request")),
        "status": rows.column("status"),
        "user_agent": rows.column("user_agent"),
        "source": _same(source, len(rows)),
    })  # fmt: skip


class _Clock:
    """CPU seconds of the calling thread per step (the benchmark's profile)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.last = time.thread_time()

    def lap(self, step: str) -> None:
        now = time.thread_time()
        self.times[step] = self.times.get(step, 0.0) + now - self.last
        self.last = now


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
    known_keys: dict[dt.date, bytes],
) -> Prepared:
    """Everything about a chunk that needs no order: parse, lookups, the Parquet parts."""
    start, chunk = job
    stem = f"{fingerprint[:16]}-{start:014d}"
    clock = _Clock()
    parsed = chunk_parse(con, chunk, fmt)
    times = request_times(parsed)
    counted = chunk_times(times)
    clock.lap("parse")
    parts: list[Part] = []
    raw: list[Part] = []
    if counted.good:

        def keys(days: list[dt.date]) -> dict[dt.date, bytes]:
            with keys_lock:  # one day, one key: workers meeting a new day create it once
                missing = [day for day in days if day not in known_keys]
                if missing:  # a query costs 2 ms: each day's key is read once per file
                    known_keys.update(day_keys(con=con, days=missing, now=now))
                return {day: known_keys[day] for day in days}

        facts = chunk_facts(parsed, day_keys=keys)
        facts = facts.append_column("source", _same(fingerprint, len(facts)))
        clock.lap("facts")
        parts = fact_parts(paths).write_table(facts, stem=stem)
        clock.lap("fact parts")
    if counted.good and start + len(chunk) > diag_from:
        # Lines before diag_from reached the diagnostics store in a run that was killed.
        first = chunk.count(b"\n", 0, diag_from - start) if diag_from > start else 0
        raw_rows = _raw_requests(parsed, first, cutoff, fingerprint)
        raw = raw_parts(paths).write_table(raw_rows, stem=stem)
        clock.lap("raw parts")
    return Prepared(con, start, start + len(chunk), parts, raw, counted, times, clock.times)


def _timed_next(
    chunks: Iterator[tuple[int, bytes]], phases: dict[str, float]
) -> tuple[int, bytes] | None:
    """The next chunk (None at the end), its reading timed (the benchmark's profile)."""
    began = time.perf_counter()
    job = next(chunks, None)
    add_times(phases, {"reading the file": time.perf_counter() - began})
    return job


def _file_format(
    path: Path,
    cur: Cursor,
    report: FileReport,
    fmt: LogFormat | None,
    configured: LogFormat | None,
) -> LogFormat | None:
    """The format to read the file in (given, kept from its last run, or detected), or None
    (the report says why) when its first lines are mostly not in it."""
    if fmt is None and cur.format is not None:
        fmt = log_format(spec=cur.format)
        report.detected = "as in its previous runs"
    if fmt is not None and cur.offset > 0:
        report.format = format_name(fmt)
        return fmt
    with log_open(path) as handle:
        head = handle.read(SAMPLE_BYTES)
        if b"\n" not in head:  # a first line longer than the sample: read on to its end
            head += handle.read(HEAD_MAX_BYTES - len(head))
        lines = sample_lines(head)
    guess = format_guess(lines, configured)
    chosen = guess
    if fmt is not None:
        chosen = format_score(fmt, format_name(fmt), lines)
    else:
        name = "the configured format" if guess.name == "configured" else repr(guess.name)
        report.detected = (
            f"detected: {name} reads {guess.parsed} of the first {guess.sampled} lines"
        )
    report.format = format_name(chosen.fmt)
    if not chosen.fits:
        report.refused = mismatch_message(str(path), chosen, guess)
        return None
    return chosen.fmt


def _file_ingest(
    con: duckdb.DuckDBPyConnection,
    *,
    path: Path,
    fmt: LogFormat | None,
    configured: LogFormat | None,
    config: WeblogConfig,
    now: dt.datetime,
    progress: Progress | None,
) -> FileReport:
    """Ingest one file: workers prepare chunks in parallel, commits follow file order."""
    report = FileReport(path=str(path))
    began = time.perf_counter()
    candidates = file_fingerprints(path=path)
    if not candidates:
        report.skipped = "no complete line yet"
        return report
    fingerprint = known_fingerprint(con, candidates) or candidates[-1]
    report.fingerprint = fingerprint
    cur = file_cursor(con, fingerprint, path)
    chosen = _file_format(path, cur, report, fmt, configured)
    add_times(report.phases, {"file start and format detection": time.perf_counter() - began})
    if chosen is None:
        return report
    fmt, cur.format = chosen, chosen.spec
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
        known_keys={},  # the day keys read so far: no key is destroyed while a file is read
    )
    workers = max(1, config.workers)
    with log_open(path) as handle, ThreadPoolExecutor(max_workers=workers) as pool:
        total = None if isinstance(handle, gzip.GzipFile) else path.stat().st_size
        if total is not None and total < cur.offset:
            report.skipped = "file is shorter than what was ingested from it: not the same log"
            return report
        pending: deque[tuple[Future[Prepared], duckdb.DuckDBPyConnection]] = deque()
        batch = Batch()

        def flush() -> None:
            batch_flush(con, cur, report, batch, config.paths)
            if progress is not None:
                progress(cur.path, cur.offset, total)

        def settle_oldest() -> None:
            future, worker = pending.popleft()
            waited = time.perf_counter()
            try:
                job = future.result()
            except BaseException:
                worker.close()
                flush()  # the chunks before this one are good: keep them
                raise
            add_times(report.phases, {"waiting for workers": time.perf_counter() - waited})
            add_times(report.phases, job.times)
            began = time.perf_counter()
            try:
                chunk_settle(cur, report, job, batch)
            except Refused:
                flush()
                raise
            add_times(report.phases, {"ordered commits": time.perf_counter() - began})
            if batch.chunks >= config.commit_chunks:
                flush()

        too_long: LineTooLong | None = None
        try:
            try:
                chunks = line_chunks(handle, cur.offset, config.chunk_bytes)
                while (job := _timed_next(chunks, report.phases)) is not None:
                    worker = session_cursor(con)  # temp tables are per connection
                    pending.append((pool.submit(prepare, worker, job), worker))
                    # At most one chunk per worker in memory (one more waiting cost 30 MB of
                    # peak and no speed), but two for a single worker, so reading the next
                    # chunk overlaps with preparing one.
                    while len(pending) >= max(workers, 2) or (pending and pending[0][0].done()):
                        settle_oldest()
            except LineTooLong as exc:  # what came before it is good: keep it
                too_long = exc
            while pending:
                settle_oldest()
            flush()
            if too_long is not None:
                report.refused = f"{path}: {too_long}"
        except Refused as exc:
            report.refused = str(exc)
        finally:  # an error stopped the run: let the workers stop, then close their connections
            for future, _ in pending:
                future.cancel()
            wait([future for future, _ in pending])
            for _, worker in pending:
                worker.close()
    return report


def logs_ingest(
    *,
    config: WeblogConfig,
    sources: Sequence[Path],
    fmt: LogFormat | None = None,
    configured: LogFormat | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    aggregate_days: bool = True,
) -> IngestReport:
    """Ingest ``sources`` (plain or gzip) in ``fmt``; aggregate the days they touched.

    Without ``fmt``, a file read before keeps its format and a new one's is detected from
    its first lines among ``configured`` and the presets (:mod:`keepfaith.weblog.detect`).
    A file refused as mostly malformed is reported in ``IngestReport.refused``. Without
    ``aggregate_days`` the days stay marked for ``logs aggregate`` (on Spark, say).
    """
    moment = now or dt.datetime.now(dt.UTC)
    report = IngestReport()
    # Workers run a chunk's statements one thread each; the day aggregates get them all.
    began = time.perf_counter()
    con = weblog_connect(paths=config.paths, threads=1, memory_mb=config.memory_mb)

    def lap(phase: str) -> None:
        nonlocal began
        now = time.perf_counter()
        report.run_phases[phase] = report.run_phases.get(phase, 0.0) + now - began
        began = now

    try:
        for parts in (fact_parts(config.paths), raw_parts(config.paths)):
            parts.sweep(con)
        lap("open and sweep")
        for path in sources:
            try:
                report.files.append(
                    _file_ingest(
                        con,
                        path=path,
                        fmt=fmt,
                        configured=configured,
                        config=config,
                        now=moment,
                        progress=progress,
                    )
                )
            except LogSourceError as exc:
                report.files.append(FileReport(path=str(path), skipped=str(exc), unreadable=True))
        began = time.perf_counter()
        con.execute(f"SET threads = {int(config.threads)}")
        if aggregate_days:
            report.days_aggregated = aggregate.dirty_days_refresh(
                con=con,
                paths=config.paths,
                visit_gap_minutes=config.visit_gap_minutes,
                batch_rows=config.aggregate_batch_rows,
            )
        lap("day aggregates")
        report.keys_destroyed = day_keys_close(
            con=con, now=moment, grace_days=config.key_grace_days
        )
        # A log ingested every few minutes adds a part per run to the days still open, which
        # the daily ``logs compact`` merges only once they close: merge crowded ones now.
        report.days_merged = days_merge(con, config.paths, more_than=DAY_PARTS_MAX)
    finally:
        con.close()
        lap("keys closed and parts merged")
    return report
