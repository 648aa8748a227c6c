"""Where web-log data lives: two DuckDB files and a Parquet tree, never the Django database.

- ``analytics.duckdb``: pseudonymous request facts and daily aggregates. No column holds an
  address, a user agent string or anything that joins to a customer.
- ``diagnostics.duckdb`` (file mode 0600, administrators only): the raw address of recent
  requests for diagnosis, kept ``retention_days`` and then purged, and the daily pseudonym
  keys, destroyed when their day closes.
- ``parquet/day=YYYY-MM-DD/<file>-<offset>-<n>.parquet``: the pseudonymous request facts,
  one part per ingested chunk and day. The analytics file lists the parts that count
  (``fact_files``), committed with the checkpoint that wrote them: a part written by a run
  killed before its commit is not listed, and is deleted by the next run.

A DuckDB transaction may write to one database file only, so each file keeps its own
checkpoint per input file and ingest resumes each from where it stood.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ANALYTICS_SCHEMA = """
CREATE TABLE IF NOT EXISTS ingested_files (
    fingerprint VARCHAR PRIMARY KEY, path VARCHAR, byte_offset BIGINT, lines BIGINT,
    requests BIGINT, malformed BIGINT, out_of_order BIGINT, last_ingest TIMESTAMP);
CREATE TABLE IF NOT EXISTS fact_files (
    day DATE, part VARCHAR PRIMARY KEY, fingerprint VARCHAR, start_offset BIGINT, rows BIGINT);
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
    "fact_files",
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
CREATE TABLE IF NOT EXISTS diag.raw_files (
    day DATE, part VARCHAR PRIMARY KEY, fingerprint VARCHAR, start_offset BIGINT, rows BIGINT);
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

    @property
    def raw_hits(self) -> Path:
        """Parquet parts of raw requests (addresses included): mode 0700, files 0600."""
        return self.root / "diagnostics-raw"


class WeblogStoreError(ValueError):
    """A web-log store this version cannot use as it is."""


# Log times are read and stored in UTC, whatever the process's time zone (Django sets TZ to
# KEEPFAITH_TIME_ZONE, and DuckDB reads a time without its own zone in the session's).
UTC = "SET TimeZone = 'UTC'"


def session_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection to ``con``'s database (its own temp tables) reading times in UTC:
    a cursor does not inherit the session's settings, only the database's."""
    cursor = con.cursor()
    cursor.execute(UTC)
    return cursor


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
    con.execute(UTC)
    con.execute("SET preserve_insertion_order = false")
    if read_only:
        return con
    fresh = not paths.diagnostics.exists()
    con.execute("ATTACH ? AS diag", [str(paths.diagnostics)])
    if fresh:
        os.chmod(paths.diagnostics, 0o600)
    legacy = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE (database_name, table_name) IN "
        "(('analytics', 'requests'), ('diag', 'raw_hits'))"
    ).fetchall()[0][0]
    if legacy:
        con.close()
        raise WeblogStoreError(
            f"{paths.root}: this web-log store keeps request facts inside DuckDB, as versions "
            "before Parquet parts did; move the folder aside and ingest the logs again"
        )
    con.execute(ANALYTICS_SCHEMA)
    # Stores from before format detection: the format each file was read in.
    con.execute("ALTER TABLE ingested_files ADD COLUMN IF NOT EXISTS format VARCHAR")
    con.execute(DIAGNOSTICS_SCHEMA)
    return con


# The columns of each fact part (``day`` is the partition folder): nothing that is an
# address, a user agent string or anything that joins to a customer. ``source`` is the
# fingerprint of the log file a row was read from (it names a file, not a client): parts of
# several files merged into one still let ``logs forget`` remove one file's rows exactly.
FACT_COLUMNS = (
    "ts TIMESTAMP, visitor UBIGINT, country VARCHAR, method VARCHAR, path VARCHAR, "
    "ext VARCHAR, is_page BOOLEAN, status SMALLINT, bytes BIGINT, referrer_domain VARCHAR, "
    "referrer_page VARCHAR, browser VARCHAR, os VARCHAR, crawler VARCHAR, vhost VARCHAR, "
    "source VARCHAR"
)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


PART_STATISTICS = ("ts", "source")

RAW_COLUMNS = (
    "ts TIMESTAMP, address VARCHAR, request VARCHAR, status SMALLINT, user_agent VARCHAR, "
    "source VARCHAR"
)


_ARROW_TYPES = {
    "TIMESTAMP": pa.timestamp("us"),
    "UBIGINT": pa.uint64(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "SMALLINT": pa.int16(),
    "BIGINT": pa.int64(),
}


@dataclass(frozen=True, slots=True)
class Part:
    """One Parquet part: its day folder, its name under the set's folder and its rows."""

    day: dt.date
    name: str
    rows: int


def _keeping_dictionaries(schema: pa.Schema, given: pa.Schema) -> pa.Schema:
    """``schema``, except that a column ``given`` as a dictionary of the right value type
    stays one: Parquet stores it dictionary-encoded either way, and decoding it first would
    copy each row's text only for the writer to encode it again."""
    fields = []
    for target in schema:
        found = given.field(target.name).type
        if pa.types.is_dictionary(found) and found.value_type == target.type:
            target = target.with_type(found)
        fields.append(target)
    return pa.schema(fields)


def _own_dictionaries(rows: pa.Table) -> pa.Table:
    """``rows`` (one day's, filtered from a chunk of several) with each dictionary column
    encoded afresh: a filter keeps the chunk's whole dictionary, and the writer stores all of
    it, so a day's part would hold the other days' paths and request lines, and keep them
    after those days are purged."""
    for at, field in enumerate(rows.schema):
        if pa.types.is_dictionary(field.type):
            values = pc.cast(rows.column(at), field.type.value_type)
            rows = rows.set_column(at, field.name, pc.dictionary_encode(values))
    return rows


@dataclass(frozen=True, slots=True)
class PartSet:
    """Parquet parts under ``folder`` that count only once ``catalog`` lists them.

    A worker writes parts first; the commit that moves a file's checkpoint lists them. A
    run killed in between leaves unlisted parts, which the next run deletes before writing.
    """

    catalog: str  # table: day, part (relative to folder), fingerprint, start_offset, rows
    folder: Path
    columns: str
    private: bool = False  # raw addresses: folder 0700, files 0600
    # Columns nearly unique per row, written without a dictionary (it only costs time there).
    plain: tuple[str, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        """The parts' columns as Arrow types (``day`` is the folder, not a column)."""
        return pa.schema(
            (name, _ARROW_TYPES[kind])
            for name, kind in (column.split() for column in self.columns.split(", "))
        )

    def listed(self, con: duckdb.DuckDBPyConnection, days_sql: str | None = None) -> list[str]:
        where = f"WHERE day IN ({days_sql})" if days_sql else ""
        sql = f"SELECT part FROM {self.catalog} {where} ORDER BY part"
        return [row[0] for row in con.execute(sql).fetchall()]

    def relation(self, parts: list[str]) -> str:
        """SQL reading ``parts`` (with their ``day``); with none, no rows but the columns."""
        if parts:
            listed = ", ".join(sql_text(str(self.folder / part)) for part in parts)
            # By name: parts written before ``source`` existed read it as NULL.
            return (
                f"SELECT * FROM read_parquet([{listed}], hive_partitioning = true, "
                "union_by_name = true)"
            )
        names = ", ".join(
            f"NULL::{kind} AS {name}"
            for name, kind in (column.split() for column in self.columns.split(", "))
        )
        return f"SELECT NULL::DATE AS day, {names} WHERE false"

    def sweep(self, con: duckdb.DuckDBPyConnection) -> int:
        """Delete the parts no commit lists; return how many."""
        if not self.folder.exists():
            return 0
        listed = set(self.listed(con))
        removed = 0
        for found in self.folder.rglob("*.parquet"):
            if found.relative_to(self.folder).as_posix() not in listed:
                found.unlink()
                removed += 1
        return removed

    def write_day(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        day: dt.date,
        select: str,
        stem: str,
        params: Any = None,
    ) -> list[Part]:
        """The rows of ``select`` (with a ``day`` column, all ``day``) as one part of that
        day; a file of a private set is made 0600.

        One file written straight into the day's folder: DuckDB's partitioned writer held
        about twice the memory and took three times the CPU for the same rows.
        """
        if self.private:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.folder / f"day={day.isoformat()}"
        folder.mkdir(mode=0o700 if self.private else 0o777, parents=True, exist_ok=True)
        name = folder / f"{stem}-0.parquet"
        con.execute(
            f"COPY (SELECT * EXCLUDE (day) FROM ({select})) TO {sql_text(str(name))} "
            "(FORMAT parquet)",
            params,
        )
        if self.private:
            os.chmod(name, 0o600)
        [(rows,)] = con.execute(
            f"SELECT num_rows FROM parquet_file_metadata({sql_text(str(name))})"
        ).fetchall()
        if not rows:  # nothing to keep: no part
            name.unlink()
            return []
        return [Part(day=day, name=name.relative_to(self.folder).as_posix(), rows=int(rows))]

    def write_table(self, table: pa.Table, *, stem: str) -> list[Part]:
        """Write ``table`` (with a ``day`` column) as one part per day; return the parts.

        The layout of :meth:`write_day`; a file of a private set is created 0600.
        """
        schema = self.schema
        days = pc.unique(table.column("day")).to_pylist()
        mode = 0o600 if self.private else 0o644
        if self.private:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        parts = []
        for day in days:
            rows = (
                table
                if len(days) == 1
                else _own_dictionaries(table.filter(pc.equal(table.column("day"), day)))
            )
            folder = self.folder / f"day={day.isoformat()}"
            folder.mkdir(mode=0o700 if self.private else 0o777, parents=True, exist_ok=True)
            name = folder / f"{stem}-0.parquet"
            descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with open(descriptor, "wb") as handle:
                pq.write_table(
                    rows.select(schema.names).cast(_keeping_dictionaries(schema, rows.schema)),
                    handle,
                    use_dictionary=[name for name in schema.names if name not in self.plain],
                    # what queries filter parts on: time (purge, reports) and the log file
                    # (forget); statistics on the other columns cost a third of the write
                    write_statistics=list(PART_STATISTICS),
                )
            parts.append(
                Part(day=day, name=name.relative_to(self.folder).as_posix(), rows=len(rows))
            )
        return parts

    def list_parts(
        self,
        con: duckdb.DuckDBPyConnection,
        parts: list[Part],
        fingerprint: str | None,
        start: int | None,
    ) -> None:
        """Add ``parts`` to the catalog (inside the caller's transaction)."""
        con.executemany(
            f"INSERT INTO {self.catalog} VALUES (?, ?, ?, ?, ?)",
            [[part.day, part.name, fingerprint, start, part.rows] for part in parts],
        )

    def compact(self, con: duckdb.DuckDBPyConnection, *, day: dt.date) -> int:
        """Merge the day's listed parts into one; return how many it replaced (0: none).

        The merged part is listed and the old ones unlisted in one commit, then their files
        are deleted; a kill in between leaves only unlisted files, for the sweep.
        """
        old = self.listed(con, f"SELECT DATE '{day.isoformat()}'")
        if len(old) < 2:
            return 0
        merged = self.write_day(
            con, day=day, select=self.relation(old), stem=f"compact-{secrets.token_hex(8)}"
        )
        con.execute("BEGIN")
        con.execute(
            f"DELETE FROM {self.catalog} WHERE part IN (SELECT unnest(?::VARCHAR[]))", [old]
        )
        self.list_parts(con, merged, None, None)
        con.execute("COMMIT")
        for part in old:
            (self.folder / part).unlink(missing_ok=True)
        return len(old)

    def days_to_compact(
        self, con: duckdb.DuckDBPyConnection, *, before: dt.date | None = None, more_than: int = 1
    ) -> list[dt.date]:
        """Days (before ``before``, if given) listed in more than ``more_than`` parts."""
        rows = con.execute(
            f"SELECT day FROM {self.catalog} WHERE day < coalesce(?, DATE '9999-12-31') "
            "GROUP BY day HAVING count(*) > ? ORDER BY day",
            [before, more_than],
        ).fetchall()
        return [row[0] for row in rows]


def fact_parts(paths: WeblogPaths) -> PartSet:
    """The pseudonymous request facts (``parquet/day=.../*.parquet``)."""
    return PartSet(
        catalog="fact_files",
        folder=paths.parquet,
        columns=FACT_COLUMNS,
        plain=("ts", "visitor", "bytes"),
    )


def raw_parts(paths: WeblogPaths) -> PartSet:
    """The raw requests kept for diagnosis, listed in the diagnostics file."""
    return PartSet(
        catalog="diag.raw_files",
        folder=paths.raw_hits,
        columns=RAW_COLUMNS,
        private=True,
        plain=("ts", "address"),
    )


def days_merge(
    con: duckdb.DuckDBPyConnection,
    paths: WeblogPaths,
    *,
    before: dt.date | None = None,
    more_than: int = 1,
) -> int:
    """Merge the fact and raw parts of each day (before ``before``, if given) listed in more
    than ``more_than`` parts into one per set; return how many days were merged."""
    merged: set[dt.date] = set()
    for parts in (fact_parts(paths), raw_parts(paths)):
        for day in parts.days_to_compact(con, before=before, more_than=more_than):
            if parts.compact(con, day=day):
                merged.add(day)
    return len(merged)


def facts_view(
    *, con: duckdb.DuckDBPyConnection, paths: WeblogPaths, days_sql: str | None = None
) -> int:
    """Create temp view ``requests`` over the listed fact parts (of ``days_sql``'s days).

    Returns how many parts it reads.
    """
    facts = fact_parts(paths)
    parts = facts.listed(con, days_sql)
    con.execute(f"CREATE OR REPLACE TEMP VIEW requests AS {facts.relation(parts)}")
    return len(parts)


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


def raw_hits_purge(
    *, con: duckdb.DuckDBPyConnection, paths: WeblogPaths, now: dt.datetime, retention_days: int
) -> int:
    """Delete raw requests older than the retention; return how many.

    Parts wholly older are unlisted and deleted. A part straddling the cutoff is rewritten
    without the old rows: the new part is listed and the old one unlisted in one commit,
    then the old file is deleted (a kill before that leaves it unlisted, for the sweep).
    """
    cutoff = now.replace(tzinfo=None) - dt.timedelta(days=retention_days)
    raw = raw_parts(paths)
    removed = 0
    for part, day, start, fingerprint in con.execute(
        "SELECT part, day, start_offset, fingerprint FROM diag.raw_files WHERE day <= ? "
        "ORDER BY part",
        [cutoff.date()],
    ).fetchall():
        old, kept = con.execute(
            f"SELECT count(*) FILTER (WHERE ts < ?), count(*) FILTER (WHERE ts >= ?) "
            f"FROM ({raw.relation([part])})",
            [cutoff, cutoff],
        ).fetchall()[0]
        if not old:
            continue
        stem = Path(part).stem
        fresh = (
            raw.write_day(
                con,
                day=day,
                select=f"SELECT * FROM ({raw.relation([part])}) WHERE ts >= ?",
                stem=f"{stem}-kept{int(cutoff.timestamp())}",
                params=[cutoff],
            )
            if kept
            else []
        )
        con.execute("BEGIN")
        con.execute("DELETE FROM diag.raw_files WHERE part = ?", [part])
        if fresh:
            raw.list_parts(con, fresh, fingerprint, start)
        con.execute("COMMIT")
        (raw.folder / part).unlink(missing_ok=True)
        removed += int(old)
    raw.sweep(con)
    return removed


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


def raw_hits_connect(paths: WeblogPaths, days_sql: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with temp view ``raw_hits`` over the listed raw parts (of ``days_sql``)."""
    con = duckdb.connect()
    try:
        con.execute(UTC)
        con.execute("ATTACH ? AS diag (READ_ONLY)", [str(paths.diagnostics)])
        raw = raw_parts(paths)
        relation = raw.relation(raw.listed(con, days_sql))
        con.execute(f"CREATE TEMP VIEW raw_hits AS {relation}")
    except BaseException:
        con.close()
        raise
    return con


def diagnostics_hits(
    *,
    paths: WeblogPaths,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 200,
    status_from: int = 0,
    status: int | None = None,
    address: str = "",
    path: str = "",
    offset: int = 0,
) -> list[RawHit]:
    """Raw requests between two times, newest first, for diagnosing server problems;
    optionally one ``status``, addresses starting with ``address``, requests containing
    ``path``; ``offset`` rows skipped (paging).

    Only for administrators: the caller (the console) checks the role and audits the read.
    """
    if not paths.diagnostics.exists():
        return []
    start, end = since.replace(tzinfo=None), until.replace(tzinfo=None)
    days = (
        "SELECT day FROM diag.raw_files "
        f"WHERE day BETWEEN DATE '{start.date()}' AND DATE '{end.date()}'"
    )
    con = raw_hits_connect(paths, days)
    try:
        rows = con.execute(
            "SELECT ts, address, request, status, user_agent FROM raw_hits "
            "WHERE ts BETWEEN ? AND ? AND status >= ? AND (? IS NULL OR status = ?) "
            "AND starts_with(address, ?) AND contains(request, ?) "
            "ORDER BY ts DESC LIMIT ? OFFSET ?",
            [start, end, status_from, status, status, address, path, limit, max(0, offset)],
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
    con = raw_hits_connect(paths, "SELECT min(day) FROM diag.raw_files")
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
