"""The web-log store as the Django settings and the policy in force configure it (read at
call time, not import)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from keepfaith.policy import Policy
from keepfaith.policy.retention import uses_kept_days
from keepfaith.policy.schema import duration_hours
from keepfaith.weblog.formats import LogFormat, LogFormatError, log_format
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.reports import DEFAULT_DOWNLOAD_EXTENSIONS
from keepfaith.weblog.store import WeblogPaths

COMMIT_MB = 64  # about this much log between two commits, whatever the chunk size


def weblog_config() -> WeblogConfig:
    """Store folder, raw-address retention, workers, chunks and memory from ``WEBLOG_*``."""
    return WeblogConfig(
        paths=WeblogPaths(Path(settings.WEBLOG_DIR)),
        raw_ip_retention_days=settings.WEBLOG_RAW_IP_RETENTION_DAYS,
        workers=settings.WEBLOG_WORKERS,
        chunk_bytes=settings.WEBLOG_CHUNK_MB * 1024 * 1024,
        memory_mb=settings.WEBLOG_MEMORY_MB,
        commit_chunks=max(1, COMMIT_MB // settings.WEBLOG_CHUNK_MB),
    )


def configured_format() -> LogFormat | None:
    """The site's own log format (``KEEPFAITH_WEBLOG_FORMAT``: a preset name or a LogFormat /
    log_format string), tried first when ``logs ingest`` detects a file's format."""
    spec = settings.WEBLOG_FORMAT.strip()
    if not spec:
        return None
    try:
        return log_format(spec=spec)
    except LogFormatError as exc:
        raise ImproperlyConfigured(f"KEEPFAITH_WEBLOG_FORMAT={spec!r}: {exc}") from exc


def download_extensions() -> tuple[str, ...]:
    """The extensions the downloads report counts (``KEEPFAITH_WEBLOG_DOWNLOAD_EXTENSIONS``)."""
    return tuple(settings.WEBLOG_DOWNLOAD_EXTENSIONS) or DEFAULT_DOWNLOAD_EXTENSIONS


def policy_raw_ip_days(*, retention: str) -> int:
    """Whole days of a policy duration (``7d``, ``48h``): hours rounded down to days."""
    hours = duration_hours(retention)
    if hours is None:
        raise ValueError(f"raw_ip_retention {retention!r} is not a duration")
    return hours // 24


def weblog_config_in_force(*, policy: Policy) -> WeblogConfig:
    """``weblog_config()`` with the raw-address retention ``policy`` (the one in force) allows.

    The policy's ``log_files.raw_ip_retention`` is the promise; the setting can only shorten
    it, never lengthen it.
    """
    config = weblog_config()
    if policy.log_files is None:
        return config
    promised = policy_raw_ip_days(retention=policy.log_files.raw_ip_retention)
    return replace(config, raw_ip_retention_days=min(config.raw_ip_retention_days, promised))


@dataclass(frozen=True, slots=True)
class StatisticsRetention:
    """How long the web log's pseudonymous facts and statistics are kept: the longest period
    among the policy's ``log_files.uses`` (each of them reads them), and that use's key."""

    days: int
    use: str


def statistics_retention(*, policy: Policy) -> StatisticsRetention | None:
    """The retention of the web log's facts and statistics under ``policy`` (None: a use of
    them keeps data without a fixed period, or none is declared: nothing is deleted by age)."""
    if policy.log_files is None:
        return None
    kept = uses_kept_days(policy=policy, uses=policy.log_files.uses)
    return StatisticsRetention(days=kept[0], use=kept[1]) if kept is not None else None
