"""``keepfaith logs forget PATH``: remove exactly what was read from a file (clause BE-5).

A file read in the wrong format, or one that should not have been read, can be forgotten
and read again. Its rows are the parts listed under its fingerprint, and the rows marked
with it (``source``) inside parts that compaction merged from several files: the first are
unlisted, the second rewritten without those rows (as ``purge`` rewrites a part), and the
file's checkpoints dropped, in one commit per store; then its days are aggregated again.
The diagnostics store goes first: a run killed in between leaves the file known to the
analytics store, so running ``forget`` again completes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from keepfaith.weblog import aggregate
from keepfaith.weblog.commits import known_fingerprint
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.sources import LogSourceError, file_fingerprints
from keepfaith.weblog.store import (
    Part,
    PartSet,
    WeblogPaths,
    fact_parts,
    raw_parts,
    weblog_connect,
)


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What forgetting one file removed."""

    path: str
    lines: int
    requests: int
    parts: int
    days: int


class LogForgetError(ValueError):
    """A file that cannot be forgotten exactly (never read, or merged with other files)."""


def _fingerprint(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    try:
        candidates = file_fingerprints(path=path)
    except LogSourceError as exc:
        raise LogForgetError(str(exc)) from exc
    if not candidates:
        raise LogForgetError(f"{path}: no complete line yet, so nothing was read from it")
    return known_fingerprint(con, candidates) or candidates[-1]


@dataclass(slots=True)
class _Removal:
    """One set's parts of a file (unlisted whole) and merged parts rewritten without it."""

    parts: PartSet
    own: list[str]
    merged: list[tuple[str, list[Part]]]  # (old part, its rewrite without the file's rows)
    rows: int
    days: set[dt.date]

    def commit(self, con: duckdb.DuckDBPyConnection) -> None:
        """Unlist the old parts and list the rewrites (inside the caller's transaction)."""
        old = self.own + [part for part, _ in self.merged]
        con.execute(
            f"DELETE FROM {self.parts.catalog} WHERE part IN (SELECT unnest(?::VARCHAR[]))",
            [old],
        )
        for _, fresh in self.merged:
            if fresh:
                self.parts.list_parts(con, fresh, None, None)

    def delete_files(self) -> None:
        for part in self.own + [part for part, _ in self.merged]:
            (self.parts.folder / part).unlink(missing_ok=True)


def _removal(con: duckdb.DuckDBPyConnection, parts: PartSet, fingerprint: str) -> _Removal:
    """Plan removing ``fingerprint``'s rows from ``parts``: merged parts holding some are
    rewritten now (unlisted until the commit; a kill leaves them to the sweep)."""
    catalog = parts.catalog
    own = con.execute(
        f"SELECT part, day, rows FROM {catalog} WHERE fingerprint = ?", [fingerprint]
    ).fetchall()
    removal = _Removal(parts, [p for p, _, _ in own], [], sum(int(r) for _, _, r in own),
                       {day for _, day, _ in own})  # fmt: skip
    for part, day in con.execute(
        f"SELECT part, day FROM {catalog} WHERE fingerprint IS NULL ORDER BY part"
    ).fetchall():
        relation = parts.relation([part])
        hit, kept = con.execute(
            "SELECT count(*) FILTER (WHERE source = ?), count(*) FILTER (WHERE source IS "
            f"DISTINCT FROM ?) FROM ({relation})",
            [fingerprint, fingerprint],
        ).fetchall()[0]
        if not hit:
            continue
        select = f"SELECT * FROM ({relation}) WHERE source IS DISTINCT FROM ?"
        stem = f"{Path(part).stem}-less{fingerprint[:8]}"
        fresh = (
            parts.write_day(con, day=day, select=select, stem=stem, params=[fingerprint])
            if kept
            else []
        )
        removal.merged.append((part, fresh))
        removal.rows += int(hit)
        removal.days.add(day)
    return removal


def _file_forget(con: duckdb.DuckDBPyConnection, paths: WeblogPaths, path: Path) -> ForgetReport:
    fingerprint = _fingerprint(con, path)
    known = con.execute(
        "SELECT lines, requests FROM ingested_files WHERE fingerprint = ?", [fingerprint]
    ).fetchall()
    if not known:
        raise LogForgetError(f"{path}: not in the store (no file read began with the same lines)")
    lines, requests = (int(value) for value in known[0])
    facts = _removal(con, fact_parts(paths), fingerprint)
    if facts.rows != requests:
        raise LogForgetError(
            f"{path}: {requests - facts.rows} of its {requests} requests were merged with "
            "other files' by a compaction of a version that did not mark their file, so they "
            "cannot be removed exactly; nothing was changed"
        )
    raw = _removal(con, raw_parts(paths), fingerprint)
    con.execute("BEGIN")
    raw.commit(con)
    con.execute("DELETE FROM diag.checkpoints WHERE fingerprint = ?", [fingerprint])
    con.execute("COMMIT")
    con.execute("BEGIN")
    facts.commit(con)
    con.execute("INSERT OR IGNORE INTO dirty_days SELECT unnest(?::DATE[])", [sorted(facts.days)])
    con.execute("DELETE FROM ingested_files WHERE fingerprint = ?", [fingerprint])
    con.execute("COMMIT")
    raw.delete_files()
    facts.delete_files()
    parts = len(facts.own) + len(facts.merged)
    return ForgetReport(str(path), lines, requests, parts, len(facts.days))


def logs_forget(*, config: WeblogConfig, sources: Sequence[Path]) -> list[ForgetReport]:
    """Forget each of ``sources`` (known by its first lines), then aggregate its days again."""
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        for parts in (fact_parts(config.paths), raw_parts(config.paths)):
            parts.sweep(con)
        done = [_file_forget(con, config.paths, path) for path in sources]
        aggregate.dirty_days_refresh(
            con=con,
            paths=config.paths,
            visit_gap_minutes=config.visit_gap_minutes,
            batch_rows=config.aggregate_batch_rows,
        )
    finally:
        con.close()
    return done
