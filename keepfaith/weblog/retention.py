"""Retention of the diagnostics store: raw addresses for a few days, pseudonym keys until
their day closes. ``keepfaith logs purge`` runs this; schedule it daily (cron or the worker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.store import day_keys_close, raw_hits_purge, store_vacuum, weblog_connect


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
