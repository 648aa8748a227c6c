"""Console fixtures: a small ingested web log in a temporary store."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from keepfaith.weblog.conf import weblog_config
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import logs_ingest
from keepfaith.weblog.sample import write_sample_log


@pytest.fixture
def weblog(settings, tmp_path):
    """A small ingested log of the last week in a temporary store."""
    settings.WEBLOG_DIR = tmp_path / "weblog"
    now = timezone.now()
    log = write_sample_log(
        path=tmp_path / "access.log", lines=3000, seed=3, start=now - dt.timedelta(days=7, hours=1)
    )
    logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=now)
    return weblog_config()
