"""The web-log store as the Django settings and the policy in force configure it (read at
call time, not import)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from django.conf import settings

from keepfaith.policy.schema import duration_hours
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.reports import DEFAULT_DOWNLOAD_EXTENSIONS
from keepfaith.weblog.store import WeblogPaths


def weblog_config() -> WeblogConfig:
    """Store folder, raw-address retention, workers, chunks and memory from ``WEBLOG_*``."""
    return WeblogConfig(
        paths=WeblogPaths(Path(settings.WEBLOG_DIR)),
        raw_ip_retention_days=settings.WEBLOG_RAW_IP_RETENTION_DAYS,
        workers=settings.WEBLOG_WORKERS,
        chunk_bytes=settings.WEBLOG_CHUNK_MB * 1024 * 1024,
        memory_mb=settings.WEBLOG_MEMORY_MB,
    )


def download_extensions() -> tuple[str, ...]:
    """The extensions the downloads report counts (``KEEPFAITH_WEBLOG_DOWNLOAD_EXTENSIONS``)."""
    return tuple(settings.WEBLOG_DOWNLOAD_EXTENSIONS) or DEFAULT_DOWNLOAD_EXTENSIONS


def policy_raw_ip_days(*, retention: str) -> int:
    """Whole days of a policy duration (``7d``, ``48h``): hours rounded down to days."""
    hours = duration_hours(retention)
    if hours is None:
        raise ValueError(f"raw_ip_retention {retention!r} is not a duration")
    return hours // 24


def weblog_config_in_force() -> WeblogConfig:
    """``weblog_config()`` with the raw-address retention the policy in force allows.

    The policy's ``log_files.raw_ip_retention`` is the promise; the setting can only shorten
    it, never lengthen it.
    """
    from keepfaith.versions.selectors import active_policy

    config = weblog_config()
    policy, _ = active_policy()
    if policy.log_files is None:
        return config
    promised = policy_raw_ip_days(retention=policy.log_files.raw_ip_retention)
    return replace(config, raw_ip_retention_days=min(config.raw_ip_retention_days, promised))
