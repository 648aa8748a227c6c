"""Upkeep of the web-log store: raw addresses for a few days, pseudonym keys until their day
closes (``keepfaith logs purge``), and one Parquet part per closed day (``logs compact``).
``keepfaith jobs run`` runs both daily. Each writes its own audit entry, whoever runs it (the
command, the job runner, a test): a retention promise kept leaves a record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from keepfaith.audit.services import Actor, audit_append
from keepfaith.policy.trace import enforces
from keepfaith.weblog.aggregate import AGGREGATE_TABLES
from keepfaith.weblog.conf import StatisticsRetention
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.store import (
    day_keys_close,
    days_merge,
    fact_parts,
    raw_hits_purge,
    raw_parts,
    store_vacuum,
    weblog_connect,
)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What one purge removed."""

    raw_hits_removed: int
    keys_destroyed: int


_UPKEEP = Actor.system("logs upkeep")


@enforces("QS-6", features=("logs.raw-ip-retention",))
def logs_purge(
    *, config: WeblogConfig, now: dt.datetime | None = None, actor: Actor = _UPKEEP
) -> PurgeReport:
    """Delete raw addresses past the retention and keys of closed days; audit it as ``actor``.

    Raw addresses live in Parquet parts, deleted (or rewritten) whole; the diagnostics file
    is rewritten afterwards, so destroyed keys leave no bytes behind.
    """
    moment = now or dt.datetime.now(dt.UTC)
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        removed = raw_hits_purge(
            con=con,
            paths=config.paths,
            now=moment,
            retention_days=config.raw_ip_retention_days,
        )
        destroyed = day_keys_close(con=con, now=moment, grace_days=config.key_grace_days)
    finally:
        con.close()
    store_vacuum(paths=config.paths)
    audit_append(
        actor=actor,
        action="weblog.purge",
        outcome="deleted",
        categories=["user.device.ip_address"],
        use="essential.service.operations",
        clauses=["QS-6", "BE-5"],
        detail={
            "retention_days": config.raw_ip_retention_days,
            "raw_hits_removed": removed,
            "keys_destroyed": destroyed,
        },
    )
    return PurgeReport(raw_hits_removed=removed, keys_destroyed=destroyed)


def logs_compact(
    *, config: WeblogConfig, now: dt.datetime | None = None, actor: Actor = _UPKEEP
) -> int:
    """Merge the fact and raw parts of each day before yesterday into one; return days.

    Each ingest adds a part per chunk and day, so a file read often (a growing log) leaves
    many small parts; reading them costs more than reading one. Rows do not change. A run
    that rewrote files holding raw addresses is audited as ``actor``, as the purge is.
    """
    moment = now or dt.datetime.now(dt.UTC)
    before = moment.date() - dt.timedelta(days=1)
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        for parts in (fact_parts(config.paths), raw_parts(config.paths)):
            parts.sweep(con)
        days = days_merge(con, config.paths, before=before)
    finally:
        con.close()
    if days:
        audit_append(
            actor=actor,
            action="weblog.compact",
            outcome="rewritten",
            categories=["user.device.ip_address"],
            use="essential.service.operations",
            clauses=["QS-6"],
            detail={"days_merged": days},
        )
    return days


# Every table of the analytics store kept per day; what ``logs_expire`` deletes of old days.
_DAY_TABLES = ("fact_files", "dirty_days", *AGGREGATE_TABLES)


@enforces("BE-5", "BE-6", features=("logs.statistics-retention",))
def logs_expire(
    *,
    config: WeblogConfig,
    keep: StatisticsRetention,
    now: dt.datetime | None = None,
    actor: Actor = _UPKEEP,
) -> int:
    """Delete every day older than ``keep.days``: its pseudonymous request facts, its
    statistics and anything left of its raw requests and key; audit it as ``actor``. Returns
    how many days went."""
    keep_days = keep.days
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = moment.date() - dt.timedelta(days=keep_days)
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        facts, raw = fact_parts(config.paths), raw_parts(config.paths)
        days = {
            row[0]
            for table in ("fact_files", "traffic_daily", "diag.raw_files")
            for row in con.execute(
                f"SELECT DISTINCT day FROM {table} WHERE day < ?",  # noqa: S608 - our tables
                [cutoff],
            ).fetchall()
        }
        day = cutoff.isoformat()  # a date of ours, no input
        before = f"day < DATE '{day}'"
        old = [
            (parts, parts.listed(con, f"SELECT day FROM {parts.catalog} WHERE {before}"))  # noqa: S608
            for parts in (facts, raw)
        ]
        for store in (("diag.raw_files", "diag.day_keys"), _DAY_TABLES):
            con.execute("BEGIN")  # one transaction per store file (DuckDB's rule)
            for table in store:
                con.execute(f"DELETE FROM {table} WHERE day < ?", [cutoff])  # noqa: S608
            con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for parts, listed in old:
        for part in listed:
            (parts.folder / part).unlink(missing_ok=True)
    if old[1][1]:
        store_vacuum(paths=config.paths)
    audit_append(
        actor=actor,
        action="weblog.expire",
        outcome="deleted",
        categories=["user.device.ip_address"],
        use=keep.use,
        clauses=["BE-5", "BE-6"],
        detail={"keep_days": keep_days, "before": cutoff.isoformat(), "days": len(days)},
    )
    return len(days)
