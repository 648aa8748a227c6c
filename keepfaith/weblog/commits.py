"""The ordered half of ingest: each chunk, in file order, is checked, counted and listed.

Workers prepare chunks in any order (:mod:`keepfaith.weblog.ingest`); here, in file order,
a chunk is checked (mostly malformed stops its file), its late requests and malformed
samples are counted on its worker's ``parsed`` table, and it joins a batch. One commit per
store lists every part of the batch and moves the checkpoint to the batch's end, so
checkpoints only move forward, and a run killed before a commit leaves only unlisted parts
(deleted by the next run) and chunks to redo.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.weblog.detect import MOSTLY, FormatGuess, format_guess, mismatch_message
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.parse import BAD_DATE, TOO_LONG, redacted_excerpt
from keepfaith.weblog.store import Part, WeblogPaths, fact_parts, raw_parts

SAMPLES_PER_FILE = 5
OUT_OF_ORDER_MINUTES = 10
GUARD_LINES = 50  # a chunk of at least this many lines, mostly malformed, stops its file


@dataclass(frozen=True, slots=True)
class ChunkTimes:
    """A chunk's line and request counts, its late requests (more than the slack older than
    an earlier request of the chunk, or than the file's latest request before it) and its
    first and last request time."""

    lines: int
    good: int
    late: int
    first_ts: dt.datetime | None
    last_ts: dt.datetime | None


def request_times(parsed: pa.Table) -> pa.Array:
    """Each line's request time, null for a malformed line, in the table's order (line order,
    as ``chunk_parse`` returns it)."""
    ts = parsed.column("ts").combine_chunks()
    return pc.if_else(pc.is_null(parsed.column("problem").combine_chunks()), ts, None)


def chunk_times(times: pa.Array, latest: dt.datetime | None = None) -> ChunkTimes:
    """:class:`ChunkTimes` of a chunk whose :func:`request_times` are ``times``, ``latest``
    being the file's latest request before the chunk (None for none). Arrow kernels over the
    column: a running maximum, shifted by one line, is the latest request before each line."""
    good = len(times) - times.null_count
    if not good:
        return ChunkTimes(len(times), 0, 0, None, None)
    ticks = times.cast(pa.int64())  # Arrow's running maximum has no timestamp kernel
    running = pc.fill_null_forward(pc.cumulative_max(ticks, skip_nulls=True))
    before = pa.concat_arrays([pa.nulls(1, pa.int64()), running.slice(0, len(ticks) - 1)])
    if latest is not None:
        mark = pa.scalar(latest, times.type).cast(pa.int64())
        before = pc.max_element_wise(before, mark, skip_nulls=True)
    slack = pa.scalar(dt.timedelta(minutes=OUT_OF_ORDER_MINUTES), pa.duration(times.type.unit))
    late = pc.sum(pc.less(pc.add(ticks, slack.cast(pa.int64())), before)).as_py() or 0
    bounds = pc.min_max(times)
    return ChunkTimes(len(times), good, int(late), bounds["min"].as_py(), bounds["max"].as_py())


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
    unreadable: bool = False  # skipped because it cannot be read (missing, no permission)
    refused: str | None = None  # mostly malformed: why, and the format the lines look like
    format: str = ""  # the format read in: a preset's name or the format string
    detected: str = ""  # how the format was chosen, when --format did not say
    samples: list[tuple[str, int, str]] = field(default_factory=list)  # reason, line, excerpt
    phases: dict[str, float] = field(default_factory=dict)  # see IngestReport.phases


class Refused(Exception):
    """A chunk mostly malformed: its file stops before the chunk's commit."""


@dataclass(slots=True)
class Cursor:
    """Where each store stands in one file, and what this run has seen of it."""

    fingerprint: str
    path: str
    offset: int
    diag_from: int
    totals: list[int]  # lines, requests, malformed, out_of_order (all runs)
    format: str | None = None  # the format string the file was read in before
    last_ts: dt.datetime | None = None


def known_fingerprint(con: duckdb.DuckDBPyConnection, candidates: list[str]) -> str | None:
    """The longest of a file's ``file_fingerprints`` the store has read a file by, if any."""
    found = {
        row[0]
        for row in con.execute(
            "SELECT fingerprint FROM ingested_files WHERE fingerprint IN (SELECT unnest(?))",
            [candidates],
        ).fetchall()
    }
    return next((c for c in reversed(candidates) if c in found), None)


def file_cursor(con: duckdb.DuckDBPyConnection, fingerprint: str, path: Path) -> Cursor:
    rows = con.execute(
        "SELECT byte_offset, lines, requests, malformed, out_of_order, format "
        "FROM ingested_files WHERE fingerprint = ?",
        [fingerprint],
    ).fetchall()
    diag = con.execute(
        "SELECT byte_offset FROM diag.checkpoints WHERE fingerprint = ?", [fingerprint]
    ).fetchall()
    offset = int(rows[0][0]) if rows else 0
    totals = [int(value) for value in rows[0][1:5]] if rows else [0, 0, 0, 0]
    diag_from = max(offset, int(diag[0][0]) if diag else 0)
    return Cursor(fingerprint, str(path), offset, diag_from, totals, rows[0][5] if rows else None)


@dataclass(slots=True)
class Prepared:
    """One chunk parsed and written as fact parts by a worker, waiting for its commit."""

    con: duckdb.DuckDBPyConnection  # the worker's own connection: ``parsed`` lives there
    start: int
    end: int
    parts: list[Part]
    raw: list[Part]  # parts of raw requests, for the diagnostics store
    counted: ChunkTimes  # lines, requests, late ones (within the chunk), first and last time
    request_times: pa.Array  # each line's request time (null: malformed), for a second look
    times: dict[str, float]  # CPU seconds of this worker per step


def _out_of_order(cur: Cursor, job: Prepared) -> int:
    """Requests more than the slack older than one before them in the file.

    The worker counted those late within the chunk; only a chunk that starts before the
    file's latest request so far needs a second look, with that time.
    """
    counted, late = job.counted, job.counted.late
    first, latest = counted.first_ts, cur.last_ts
    slack = dt.timedelta(minutes=OUT_OF_ORDER_MINUTES)
    if latest is not None and first is not None and first + slack < latest:
        late = chunk_times(job.request_times, latest).late
    if counted.last_ts is not None:
        cur.last_ts = max(counted.last_ts, cur.last_ts) if cur.last_ts else counted.last_ts
    return late


def _chunk_guard(
    con: duckdb.DuckDBPyConnection, cur: Cursor, report: FileReport, job: Prepared
) -> None:
    """Stop the file before a chunk whose lines are mostly malformed (a format change, or a
    file that is not a log past its first lines): none of them is consumed as read."""
    bad = job.counted.lines - job.counted.good
    if job.counted.lines < GUARD_LINES or bad <= job.counted.lines * MOSTLY:
        return
    # overlong lines and impossible times are counted as malformed, not a change of format
    [(unread,)] = con.execute(
        "SELECT count(*) FROM parsed WHERE problem IS NOT NULL AND problem NOT IN (?, ?)",
        [TOO_LONG, BAD_DATE],
    ).fetchall()
    if unread <= job.counted.lines * MOSTLY:
        return
    lines = [
        row[0]
        for row in con.execute(
            "SELECT line FROM parsed WHERE problem IS NOT NULL "
            "AND problem NOT IN (?, ?) ORDER BY n LIMIT 200",
            [TOO_LONG, BAD_DATE],
        ).fetchall()
    ]
    fmt = log_format(spec=cur.format or "")
    chosen = FormatGuess(fmt, report.format, job.counted.good, job.counted.lines)
    likely = format_guess(lines)
    detail = mismatch_message(f"{cur.path} from byte {job.start}", chosen, likely)
    raise Refused(
        detail.replace("the first ", "").replace(
            "Nothing of the file was read.",
            "The file stops before them; the lines before them are kept.",
        )
    )


@dataclass(slots=True)
class Batch:
    """Chunks settled in file order, waiting for one commit per store.

    A commit lists the parts of every chunk of the batch and moves the checkpoints to the
    last one's end; until then the parts are unlisted, so a kill costs only redoing them.
    """

    facts: list[tuple[list[Part], int]] = field(default_factory=list)  # (parts, chunk start)
    raw: list[tuple[list[Part], int]] = field(default_factory=list)
    diag_end: int = 0
    end: int = 0
    deltas: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    chunks: int = 0


def chunk_settle(cur: Cursor, report: FileReport, job: Prepared, batch: Batch) -> None:
    """The ordered part of a chunk that needs its worker's ``parsed`` table: the guard, the
    out-of-order count, the samples; then the chunk joins ``batch``."""
    con = job.con
    try:
        _chunk_guard(con, cur, report, job)
        out_of_order = _out_of_order(cur, job) if job.counted.good else 0
        if len(report.samples) < SAMPLES_PER_FILE and job.counted.lines > job.counted.good:
            before = cur.totals[0] + batch.deltas[0]  # the file's lines before this chunk
            for reason, n, line in con.execute(
                "SELECT problem, n, line FROM parsed WHERE problem IS NOT NULL ORDER BY n LIMIT ?",
                [SAMPLES_PER_FILE - len(report.samples)],
            ).fetchall():
                report.samples.append((reason, before + int(n) + 1, redacted_excerpt(line=line)))
    finally:
        con.close()
    if job.end > cur.diag_from:  # before diag_from: a killed run got this far there
        batch.raw.append((job.raw, job.start))
        batch.diag_end = job.end
    batch.facts.append((job.parts, job.start))
    batch.end = job.end
    lines, good = job.counted.lines, job.counted.good
    deltas = (lines, good, lines - good, out_of_order)
    batch.deltas = [total + delta for total, delta in zip(batch.deltas, deltas, strict=True)]
    batch.chunks += 1


def batch_flush(
    con: duckdb.DuckDBPyConnection,
    cur: Cursor,
    report: FileReport,
    batch: Batch,
    paths: WeblogPaths,
) -> None:
    """Commit the batch: diagnostics first, then the facts, each with its checkpoint."""
    if not batch.chunks:
        return
    began = time.perf_counter()
    if batch.diag_end > cur.diag_from:
        con.execute("BEGIN")
        for parts, start in batch.raw:
            if parts:
                raw_parts(paths).list_parts(con, parts, cur.fingerprint, start)
        con.execute(
            "INSERT OR REPLACE INTO diag.checkpoints VALUES (?, ?)",
            [cur.fingerprint, batch.diag_end],
        )
        con.execute("COMMIT")
        cur.diag_from = batch.diag_end
    totals = [total + delta for total, delta in zip(cur.totals, batch.deltas, strict=True)]
    con.execute("BEGIN")
    for parts, start in batch.facts:
        if parts:
            fact_parts(paths).list_parts(con, parts, cur.fingerprint, start)
    days = sorted({part.day for parts, _ in batch.facts for part in parts})
    if days:
        con.execute("INSERT OR IGNORE INTO dirty_days SELECT unnest(?::DATE[])", [days])
    con.execute(
        "INSERT OR REPLACE INTO ingested_files (fingerprint, path, byte_offset, lines, "
        "requests, malformed, out_of_order, last_ingest, format) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [cur.fingerprint, cur.path, batch.end, *totals, cur.format],
    )
    con.execute("COMMIT")
    cur.totals, cur.offset = totals, batch.end
    lines, good, malformed, late = batch.deltas
    report.new_lines += lines
    report.requests += good
    report.malformed += malformed
    report.out_of_order += late
    add_times(report.phases, {"ordered commits": time.perf_counter() - began})
    batch.facts, batch.raw, batch.deltas, batch.chunks = [], [], [0, 0, 0, 0], 0


def add_times(into: dict[str, float], times: dict[str, float]) -> None:
    for phase, seconds in times.items():
        into[phase] = into.get(phase, 0.0) + seconds
