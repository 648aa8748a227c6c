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
