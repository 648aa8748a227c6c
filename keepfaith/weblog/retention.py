"""Upkeep of the web-log store: raw addresses for a few days, pseudonym keys until their day
closes (``keepfaith logs purge``), and one Parquet part per closed day (``logs compact``).
``keepfaith jobs run`` runs both daily.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def logs_purge(*, config: WeblogConfig, now: dt.datetime | None = None) -> PurgeReport:
    """Delete raw addresses past the retention and keys of closed days.

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
    return PurgeReport(raw_hits_removed=removed, keys_destroyed=destroyed)


def logs_compact(*, config: WeblogConfig, now: dt.datetime | None = None) -> int:
    """Merge the fact and raw parts of each day before yesterday into one; return days.

    Each ingest adds a part per chunk and day, so a file read often (a growing log) leaves
    many small parts; reading them costs more than reading one. Rows do not change.
    """
    moment = now or dt.datetime.now(dt.UTC)
    before = moment.date() - dt.timedelta(days=1)
    con = weblog_connect(paths=config.paths, threads=config.threads, memory_mb=config.memory_mb)
    try:
        for parts in (fact_parts(config.paths), raw_parts(config.paths)):
            parts.sweep(con)
        return days_merge(con, config.paths, before=before)
    finally:
        con.close()
