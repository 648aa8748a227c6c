"""The web-log store as the Django settings configure it (read at call time, not import)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.reports import DEFAULT_DOWNLOAD_EXTENSIONS
from keepfaith.weblog.store import WeblogPaths


def weblog_config() -> WeblogConfig:
    """Store folder and raw-address retention from ``WEBLOG_DIR`` and its retention setting."""
    return WeblogConfig(
        paths=WeblogPaths(Path(settings.WEBLOG_DIR)),
        raw_ip_retention_days=settings.WEBLOG_RAW_IP_RETENTION_DAYS,
    )


def download_extensions() -> tuple[str, ...]:
    """The extensions the downloads report counts (``KEEPFAITH_WEBLOG_DOWNLOAD_EXTENSIONS``)."""
    return tuple(settings.WEBLOG_DOWNLOAD_EXTENSIONS) or DEFAULT_DOWNLOAD_EXTENSIONS
