"""Where web-log data lives: two DuckDB files and a Parquet tree, never the Django database.

- ``analytics.duckdb``: pseudonymous request facts and daily aggregates. No column holds an
  address, a user agent string or anything that joins to a customer.
- ``diagnostics.duckdb`` (file mode 0600, administrators only): the raw address of recent
  requests for diagnosis, kept ``retention_days`` and then purged, and the daily pseudonym
  keys, destroyed when their day closes.
- ``parquet/day=YYYY-MM-DD/requests.parquet``: the facts of each day, for other engines.

A DuckDB transaction may write to one database file only, so each file keeps its own
checkpoint per input file and ingest resumes each from where it stood.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

ANALYTICS_SCHEMA = """
CREATE TABLE IF NOT EXISTS ingested_files (
    fingerprint VARCHAR PRIMARY KEY, path VARCHAR, byte_offset BIGINT, lines BIGINT,
    requests BIGINT, malformed BIGINT, out_of_order BIGINT, last_ingest TIMESTAMP);
CREATE TABLE IF NOT EXISTS requests (
    day DATE, ts TIMESTAMP, visitor UBIGINT, country VARCHAR, method VARCHAR, path VARCHAR,
    ext VARCHAR, is_page BOOLEAN, status SMALLINT, bytes BIGINT, referrer_domain VARCHAR,
    referrer_page VARCHAR, browser VARCHAR, os VARCHAR, crawler VARCHAR, vhost VARCHAR);
CREATE TABLE IF NOT EXISTS dirty_days (day DATE PRIMARY KEY);
CREATE TABLE IF NOT EXISTS traffic_hourly (
    day DATE, hour TINYINT, requests BIGINT, crawler_requests BIGINT, page_views BIGINT,
    visits BIGINT, visitors BIGINT, bytes BIGINT);
CREATE TABLE IF NOT EXISTS traffic_daily (
    day DATE, requests BIGINT, crawler_requests BIGINT, page_views BIGINT, visits BIGINT,
    visitors BIGINT, bytes BIGINT);
CREATE TABLE IF NOT EXISTS dimension_counts (
    day DATE, dimension VARCHAR, value VARCHAR, requests BIGINT, visitors BIGINT);
CREATE TABLE IF NOT EXISTS entry_pages (day DATE, path VARCHAR, visits BIGINT);
CREATE TABLE IF NOT EXISTS exit_pages (day DATE, path VARCHAR, visits BIGINT);
CREATE TABLE IF NOT EXISTS transitions (
    day DATE, from_path VARCHAR, to_path VARCHAR, visits BIGINT);
CREATE TABLE IF NOT EXISTS files (
    day DATE, path VARCHAR, ext VARCHAR, requests BIGINT, visitors BIGINT, bytes BIGINT);
CREATE TABLE IF NOT EXISTS errors (
    day DATE, status SMALLINT, path VARCHAR, referrer_page VARCHAR, requests BIGINT);
"""
ANALYTICS_TABLES = (
    "ingested_files",
    "requests",
    "dirty_days",
    "traffic_hourly",
    "traffic_daily",
    "dimension_counts",
    "entry_pages",
    "exit_pages",
    "transitions",
    "files",
    "errors",
)
DIAGNOSTICS_SCHEMA = """
CREATE TABLE IF NOT EXISTS diag.raw_hits (
    ts TIMESTAMP, address VARCHAR, request VARCHAR, status SMALLINT, user_agent VARCHAR,
    fingerprint VARCHAR);
CREATE TABLE IF NOT EXISTS diag.checkpoints (fingerprint VARCHAR PRIMARY KEY, byte_offset BIGINT);
CREATE TABLE IF NOT EXISTS diag.day_keys (day DATE PRIMARY KEY, key BLOB, created TIMESTAMP);
"""


@dataclass(frozen=True, slots=True)
class WeblogPaths:
    """The files of one web-log store under ``root``."""

    root: Path

    @property
    def analytics(self) -> Path:
        return self.root / "analytics.duckdb"

    @property
    def diagnostics(self) -> Path:
        return self.root / "diagnostics.duckdb"

    @property
    def parquet(self) -> Path:
        return self.root / "parquet"


def weblog_connect(
    *, paths: WeblogPaths, read_only: bool = False, threads: int = 2, memory_mb: int = 512
) -> duckdb.DuckDBPyConnection:
    """A connection to the analytics file, with the diagnostics file attached as ``diag``.

    Read-only connections (reports) do not attach the diagnostics store at all.
    """
    if read_only:
        con = duckdb.connect(str(paths.analytics), read_only=True)
    else:
        paths.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(paths.analytics))
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    if read_only:
        return con
    # Fewer, larger checkpoints: each commit still reaches the WAL (so a kill loses nothing
    # committed); compressing into the file happens every 256 MB of WAL and at close.
    con.execute("SET checkpoint_threshold = '256MB'")
    con.execute(ANALYTICS_SCHEMA)
    fresh = not paths.diagnostics.exists()
    con.execute("ATTACH ? AS diag", [str(paths.diagnostics)])
    con.execute(DIAGNOSTICS_SCHEMA)
    if fresh:
        os.chmod(paths.diagnostics, 0o600)
    return con


def day_keys(
    *, con: duckdb.DuckDBPyConnection, days: list[dt.date], now: dt.datetime
) -> dict[dt.date, bytes]:
    """The pseudonym key of each day, created (random, committed) where missing."""
    rows = con.execute(
        "SELECT day, key FROM diag.day_keys WHERE day IN (SELECT unnest(?::DATE[]))", [days]
    ).fetchall()
    keys = {day: bytes(key) for day, key in rows}
    missing = [day for day in days if day not in keys]
    if missing:
        con.execute("BEGIN")
        for day in missing:
            keys[day] = secrets.token_bytes(32)
            con.execute(
                "INSERT OR IGNORE INTO diag.day_keys VALUES (?, ?, ?)",
                [day, keys[day], now.replace(tzinfo=None)],
            )
        con.execute("COMMIT")
    return keys


def day_keys_close(*, con: duckdb.DuckDBPyConnection, now: dt.datetime, grace_days: int) -> int:
    """Destroy the keys of every day that closed more than ``grace_days`` ago; return count."""
    cutoff = now.date() - dt.timedelta(days=grace_days)
    row = con.execute("DELETE FROM diag.day_keys WHERE day < ? RETURNING day", [cutoff]).fetchall()
    con.execute("CHECKPOINT diag")
    return len(row)


def raw_hits_purge(*, con: duckdb.DuckDBPyConnection, now: dt.datetime, retention_days: int) -> int:
    """Delete raw addresses older than the retention; rewrite the file so they are gone."""
    cutoff = now.replace(tzinfo=None) - dt.timedelta(days=retention_days)
    removed = con.execute("DELETE FROM diag.raw_hits WHERE ts < ? RETURNING 1", [cutoff]).fetchall()
    con.execute("CHECKPOINT diag")
    return len(removed)


def store_vacuum(*, paths: WeblogPaths) -> None:
    """Rewrite the diagnostics file so deleted rows leave no bytes behind."""
    if not paths.diagnostics.exists():
        return
    tmp = paths.diagnostics.with_suffix(".compact.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(paths.diagnostics)])
        con.execute("ATTACH ? AS new", [str(tmp)])
        con.execute("COPY FROM DATABASE old TO new")
    finally:
        con.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, paths.diagnostics)


@dataclass(frozen=True, slots=True)
class RawHit:
    """One request as the diagnostics store keeps it (administrators only)."""

    ts: dt.datetime
    address: str
    request: str
    status: int
    user_agent: str


def diagnostics_hits(
    *,
    paths: WeblogPaths,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 200,
    status_from: int = 0,
) -> list[RawHit]:
    """Raw requests between two times, newest first, for diagnosing server problems.

    Only for administrators: the caller (the console) checks the role and audits the read.
    """
    if not paths.diagnostics.exists():
        return []
    con = duckdb.connect(str(paths.diagnostics), read_only=True)
    try:
        rows = con.execute(
            "SELECT ts, address, request, status, user_agent FROM raw_hits "
            "WHERE ts BETWEEN ? AND ? AND status >= ? ORDER BY ts DESC LIMIT ?",
            [since.replace(tzinfo=None), until.replace(tzinfo=None), status_from, limit],
        ).fetchall()
    finally:
        con.close()
    return [
        RawHit(ts, address, request, int(status), agent)
        for ts, address, request, status, agent in rows
    ]


def diagnostics_oldest(*, paths: WeblogPaths) -> dt.datetime | None:
    """The time of the oldest raw address still kept (UTC), or None when none is kept."""
    if not paths.diagnostics.exists():
        return None
    con = duckdb.connect(str(paths.diagnostics), read_only=True)
    try:
        row = con.execute("SELECT min(ts) FROM raw_hits").fetchone()
    finally:
        con.close()
    oldest = row[0] if row else None
    return None if oldest is None else oldest.replace(tzinfo=dt.UTC)


def store_busy(error: BaseException) -> bool:
    """True when ``error`` says another process (a running ingest) holds the file's lock.

    DuckDB allows one writing process per file; readers elsewhere are refused meanwhile.
    """
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
