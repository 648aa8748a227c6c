"""Streaming, idempotent ingest of access logs into the web-log store.

Rules this module keeps:

- A file is known by a fingerprint of its first line, not by its path: a renamed file is
  not counted twice, a rotated file (new first line) is a new file.
- Each chunk of complete lines is committed together with the byte offset it ends at, in
  one transaction per store, so a run killed at any moment and run again ends with exactly
  the rows of one clean run. A last line without its newline waits for the next run.
- Memory is bounded by the chunk size, not by the file size.
- Malformed lines are counted and a few sampled (addresses masked); they never stop a run.
- Per line, the work is vectorised SQL; the country, the network, the user-agent families
  and the pseudonym key are computed once per distinct value and joined back.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.weblog import aggregate
from keepfaith.weblog.formats import LogFormat
from keepfaith.weblog.parse import redacted_excerpt
from keepfaith.weblog.privacy import (
    hmac_pads,
    pseudonym_sql,
    registry_countries,
    truncated_network,
)
from keepfaith.weblog.sqlparse import parse_sql
from keepfaith.weblog.store import WeblogPaths, day_keys, day_keys_close, weblog_connect
from keepfaith.weblog.useragents import agents_families

FINGERPRINT_BYTES = 64 * 1024
SAMPLES_PER_FILE = 5
OUT_OF_ORDER_SLACK = "10 MINUTE"
PAGE_EXTENSIONS = ("", "html", "htm", "php", "asp", "aspx", "jsp", "shtml")
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class WeblogConfig:
    """How ingest runs: where the stores are and the retention rules they keep."""

    paths: WeblogPaths
    raw_ip_retention_days: int = 7
    key_grace_days: int = 1
    chunk_bytes: int = 16 * 1024 * 1024
    visit_gap_minutes: int = 30
    parquet: bool = True
    threads: int = 2
    memory_mb: int = 256


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


def _lines_table(chunk: bytes) -> pa.Table:
    """The chunk's lines as Arrow text; bytes that are not UTF-8 (or NUL) become U+FFFD."""
    whole = pa.array([chunk], pa.large_binary())
    try:
        if b"\0" in chunk:
            raise pa.ArrowInvalid("NUL byte")
        text = whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        clean = chunk.decode("utf-8", "replace").replace("\0", "\N{REPLACEMENT CHARACTER}")
        text = pa.array([clean], pa.large_string())
    lines = pc.split_pattern(text, "\n").flatten()
    lines = lines.slice(0, len(lines) - 1)  # the chunk ends with a newline
    return pa.table({"n": pa.array(range(len(lines)), pa.int32()), "line": lines})


STAGE_SQL = """
CREATE OR REPLACE TEMP TABLE staged AS
SELECT p.n, p.ts, p.ts::DATE AS day, h.net_id, h.country, a.ua_id, a.browser, a.os,
    a.crawler, upper(p.method) AS method, split_part(p.target, '?', 1) AS path, p.status,
    p.bytes, p.referrer, NULLIF(p.vhost, '-') AS vhost
FROM parsed p JOIN hosts h ON h.host = p.host JOIN agents a ON a.user_agent = p.user_agent
WHERE p.problem IS NULL
"""


def _visitors_sql() -> str:
    """One pseudonym per distinct (day, network, user agent) of the staged chunk."""
    visitor = pseudonym_sql(
        ipad="k.ipad", opad="k.opad", day="d.day", network="h.net", user_agent="a.user_agent"
    )
    return f"""
    CREATE OR REPLACE TEMP TABLE visitors AS
    SELECT d.day, d.net_id, d.ua_id, {visitor} AS visitor
    FROM (SELECT DISTINCT day, net_id, ua_id FROM staged) d JOIN day_pads k ON k.day = d.day
    JOIN (SELECT DISTINCT net_id, net FROM hosts) h ON h.net_id = d.net_id
    JOIN agents a ON a.ua_id = d.ua_id
    """


def _facts_sql() -> str:
    pages = ", ".join(f"'{ext}'" for ext in PAGE_EXTENSIONS)
    return f"""
    INSERT INTO requests
    SELECT s.day, s.ts, v.visitor, s.country, s.method, s.path, f.ext,
        s.crawler IS NULL AND (s.status < 300 OR s.status = 304) AND f.ext IN ({pages})
            AND s.method IN ('GET', 'POST') AS is_page,
        s.status, s.bytes, r.domain,
        CASE WHEN s.status >= 400 THEN r.page END AS referrer_page,
        s.browser, s.os, s.crawler, s.vhost
    FROM staged s
    JOIN visitors v ON v.day = s.day AND v.net_id = s.net_id AND v.ua_id = s.ua_id
    JOIN path_info f ON f.path = s.path JOIN referrer_info r ON r.referrer = s.referrer"""


PATH_INFO_SQL = """
CREATE OR REPLACE TEMP TABLE path_info AS
SELECT path, CASE WHEN contains(last, '.') AND length(string_split(last, '.')[-1]) <= 10
    THEN lower(string_split(last, '.')[-1]) ELSE '' END AS ext
FROM (SELECT path, string_split(path, '/')[-1] AS last FROM (SELECT DISTINCT path FROM staged))
"""
REFERRER_INFO_SQL = """
CREATE OR REPLACE TEMP TABLE referrer_info AS
SELECT referrer,
    CASE WHEN contains(referrer, '://') THEN NULLIF(lower(split_part(split_part(split_part(
        split_part(split_part(referrer, '://', 2), '/', 1), '?', 1), '#', 1), ':', 1)), '')
        END AS domain,
    CASE WHEN referrer NOT IN ('', '-') THEN split_part(split_part(referrer, '?', 1), '#', 1)
        END AS page
FROM (SELECT DISTINCT referrer FROM staged)
"""


def _distinct(con: duckdb.DuckDBPyConnection, column: str) -> list[Any]:
    sql = f"SELECT DISTINCT {column} FROM parsed WHERE problem IS NULL"
    return [row[0] for row in con.execute(sql).fetchall()]


def _hosts_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """Registry country and network of each distinct host, computed in memory only."""
    hosts = _distinct(con, "host")
    nets = [truncated_network(host=host) for host in hosts]
    net_ids: dict[str, int] = {}
    ids = [net_ids.setdefault(net, len(net_ids)) for net in nets]
    table = pa.table({
        "host": pa.array(hosts, pa.string()),
        "country": pa.array(registry_countries(addresses=hosts), pa.string()),
        "net": pa.array(nets, pa.string()),
        "net_id": pa.array(ids, pa.int32()),
    })  # fmt: skip
    con.register("hosts", table)


def _agents_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """Browser, OS and crawler of each distinct user agent."""
    agents = _distinct(con, "user_agent")
    families = agents_families(user_agents=agents)
    table = pa.table({
        "user_agent": pa.array(agents, pa.string()),
        "ua_id": pa.array(range(len(agents)), pa.int32()),
        "browser": pa.array([item.browser for item in families], pa.string()),
        "os": pa.array([item.os for item in families], pa.string()),
        "crawler": pa.array([item.crawler for item in families], pa.string()),
    })  # fmt: skip
    con.register("agents", table)


def _lookups(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> None:
    """Register per-distinct-value tables: hosts, agents and the day pads."""
    _hosts_lookup(con)
    _agents_lookup(con)
    days = _distinct(con, "ts::DATE")
    keys = day_keys(con=con, days=days, now=now)
    pads = [hmac_pads(key=keys[day]) for day in days]
    table = pa.table({
        "day": pa.array(days, pa.date32()),
        "ipad": pa.array([pad[0] for pad in pads], pa.binary()),
        "opad": pa.array([pad[1] for pad in pads], pa.binary()),
    })  # fmt: skip
    con.register("day_pads", table)


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


def _diagnostics_write(
    con: duckdb.DuckDBPyConnection, cur: _Cursor, start: int, chunk: bytes, cutoff: dt.datetime
) -> None:
    """Raw addresses of recent requests, committed with the diagnostics checkpoint."""
    end = start + len(chunk)
    if end <= cur.diag_from:
        return
    first = chunk.count(b"\n", 0, cur.diag_from - start) if cur.diag_from > start else 0
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO diag.raw_hits SELECT ts, host, request, status, user_agent, ? "
        "FROM parsed WHERE problem IS NULL AND n >= ? AND ts >= ?",
        [cur.fingerprint, first, cutoff],
    )
    con.execute("INSERT OR REPLACE INTO diag.checkpoints VALUES (?, ?)", [cur.fingerprint, end])
    con.execute("COMMIT")
    cur.diag_from = end


def _chunk_counts(con: duckdb.DuckDBPyConnection, cur: _Cursor) -> tuple[int, int, int]:
    lines, good, last = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE problem IS NULL), max(ts) FROM parsed"
    ).fetchall()[0]
    row = con.execute(
        f"""SELECT count(*) FROM (SELECT ts, max(ts) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED
        PRECEDING AND 1 PRECEDING) AS before FROM parsed WHERE problem IS NULL)
        WHERE ts + INTERVAL {OUT_OF_ORDER_SLACK} < greatest(before, ?::TIMESTAMP)""",
        [cur.last_ts],
    ).fetchall()
    if last is not None:
        cur.last_ts = max(last, cur.last_ts) if cur.last_ts else last
    return int(lines), int(good), int(row[0][0])


def _facts_write(
    con: duckdb.DuckDBPyConnection, cur: _Cursor, report: FileReport, chunk_end: int
) -> None:
    """The chunk's pseudonymous facts, committed with the file's checkpoint."""
    lines, good, out_of_order = _chunk_counts(con, cur)
    if len(report.samples) < SAMPLES_PER_FILE:
        for reason, line in con.execute(
            "SELECT problem, line FROM parsed WHERE problem IS NOT NULL ORDER BY n LIMIT ?",
            [SAMPLES_PER_FILE - len(report.samples)],
        ).fetchall():
            report.samples.append((reason, redacted_excerpt(line=line)))
    deltas = (lines, good, lines - good, out_of_order)
    cur.totals = [total + delta for total, delta in zip(cur.totals, deltas, strict=True)]
    con.execute(STAGE_SQL)
    con.execute(_visitors_sql())
    con.execute(PATH_INFO_SQL)
    con.execute(REFERRER_INFO_SQL)
    con.execute("BEGIN")
    con.execute(_facts_sql())
    con.execute(
        "INSERT OR IGNORE INTO dirty_days "
        "SELECT DISTINCT ts::DATE FROM parsed WHERE problem IS NULL"
    )
    con.execute(
        "INSERT OR REPLACE INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [cur.fingerprint, cur.path, chunk_end, *cur.totals],
    )
    con.execute("COMMIT")
    cur.offset = chunk_end
    report.new_lines += lines
    report.requests += good
    report.malformed += lines - good
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
    report = FileReport(path=str(path))
    fingerprint = file_fingerprint(path=path)
    if fingerprint is None:
        report.skipped = "no complete line yet"
        return report
    report.fingerprint = fingerprint
    cur = _cursor(con, fingerprint, path)
    cutoff = now.replace(tzinfo=None) - dt.timedelta(days=config.raw_ip_retention_days)
    gzipped = False
    with _open(path) as handle:
        gzipped = isinstance(handle, gzip.GzipFile)
        total = None if gzipped else path.stat().st_size
        if total is not None and total < cur.offset:
            report.skipped = "file is shorter than what was ingested from it: not the same log"
            return report
        params = {"rx": fmt.regex}
        statement = parse_sql(fmt)
        for start, chunk in _chunks(handle, cur.offset, config.chunk_bytes):
            con.register("chunk_lines", _lines_table(chunk))
            con.execute(statement, params)
            _lookups(con, now)
            _diagnostics_write(con, cur, start, chunk, cutoff)
            _facts_write(con, cur, report, start + len(chunk))
            if progress is not None:
                progress(str(path), cur.offset, total)
    return report


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
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        for path in sources:
            try:
                report.files.append(
                    _file_ingest(
                        con, path=path, fmt=fmt, config=config, now=moment, progress=progress
                    )
                )
            except LogSourceError as exc:
                report.files.append(FileReport(path=str(path), skipped=str(exc)))
        report.days_aggregated = aggregate.dirty_days_refresh(
            con=con,
            parquet_dir=config.paths.parquet if config.parquet else None,
            visit_gap_minutes=config.visit_gap_minutes,
        )
        report.keys_destroyed = day_keys_close(
            con=con, now=moment, grace_days=config.key_grace_days
        )
    finally:
        con.close()
    return report
