"""Fixtures for the web-log tests: a store in a temporary folder and generated logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from keepfaith.weblog import sources
from keepfaith.weblog.formats import LogFormat, log_format
from keepfaith.weblog.ingest import IngestReport, WeblogConfig, logs_ingest
from keepfaith.weblog.store import WeblogPaths

# The generated logs cover 2024-03-04 onwards; "now" is shortly after, so raw addresses are
# still inside their 7-day retention.
NOW = dt.datetime(2024, 3, 6, 12, 0, tzinfo=dt.UTC)


# Where a plain file's chunk looks for its end: smaller than the tests' chunks (8 to 64 KiB),
# so that they are read as production reads its 4 MB ones.
TEST_TAIL_BYTES = 1024


@pytest.fixture(autouse=True)
def chunks_read_as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "TAIL_BYTES", TEST_TAIL_BYTES)


@pytest.fixture
def store_config(tmp_path: Path) -> WeblogConfig:
    return WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=64 * 1024)


@pytest.fixture
def combined() -> LogFormat:
    return log_format(spec="combined")


def ingest(
    config: WeblogConfig,
    *paths: Path,
    spec: str | None = "combined",
    configured: LogFormat | None = None,
) -> IngestReport:
    """Ingest ``paths`` in ``spec`` (None: detect each file's format)."""
    fmt = None if spec is None else log_format(spec=spec)
    return logs_ingest(config=config, sources=list(paths), fmt=fmt, configured=configured, now=NOW)


def line(
    host: str = "198.51.100.7",
    when: str = "04/Mar/2024:10:00:00 +0000",
    request: str = "GET / HTTP/1.1",
    status: int = 200,
    size: str = "512",
    referrer: str = "-",
    agent: str = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
) -> str:
    return f'{host} - - [{when}] "{request}" {status} {size} "{referrer}" "{agent}"\n'
