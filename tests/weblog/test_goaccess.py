"""Request totals and status counts match GoAccess on the same generated log (BE-5)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter

import pytest

from keepfaith.weblog.reports import weblog_report
from keepfaith.weblog.sample import write_sample_log

from .conftest import NOW, ingest

GOACCESS = shutil.which("goaccess") or ""


def goaccess_counts(log) -> tuple[int, Counter[int]]:
    """(valid requests, hits per status) as GoAccess reports them."""
    out = subprocess.run(
        [GOACCESS, str(log), "--log-format=COMBINED", "--no-progress", "-o", "json"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    statuses: Counter[int] = Counter()
    for group in data["status_codes"]["data"]:
        for item in group["items"]:
            statuses[int(item["data"][:3])] += int(item["hits"]["count"])
    return int(data["general"]["valid_requests"]), statuses


@pytest.mark.clause("BE-5")
@pytest.mark.skipif(not GOACCESS, reason="goaccess is not installed (Debian package goaccess)")
def test_totals_and_statuses_match_goaccess(store_config, tmp_path):
    log = write_sample_log(path=tmp_path / "access.log", lines=20_000, seed=5)
    with log.open("ab") as out:
        out.write(b"\x00\xff binary junk\nnot a log line at all\n")
    report = ingest(store_config, log)
    valid, statuses = goaccess_counts(log)
    assert report.requests == valid == 20_000
    assert report.malformed == 2
    ours = weblog_report(
        paths=store_config.paths,
        start=NOW.date().replace(day=1),
        end=NOW.date().replace(day=28),
        limit=100,
    )
    assert {int(row.value): row.requests for row in ours.statuses} == dict(statuses)
