"""A log in another format is never thrown away: detection, refusal, forget (BE-5, QS-6).

Issue 19, defect 1: a Common log ingested with default settings was counted malformed line
by line, marked read, and could never be ingested again.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import duckdb
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from keepfaith.weblog.aggregate import AGGREGATE_TABLES
from keepfaith.weblog.detect import DETECTED, FormatGuess, format_guess, format_score
from keepfaith.weblog.forget import LogForgetError, logs_forget
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.retention import logs_compact
from keepfaith.weblog.sample import sample_log_lines, write_sample_log
from keepfaith.weblog.store import WeblogPaths, raw_hits_connect

from .conftest import NOW, ingest, line

pytestmark = [pytest.mark.clause("BE-5"), pytest.mark.clause("QS-6")]


def _rows(config: WeblogConfig, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _figures(config: WeblogConfig) -> dict[str, list[tuple[Any, ...]]]:
    """Every aggregate table, sorted: what the reports can show."""
    return {
        name: sorted(_rows(config, f"SELECT * FROM {name}"), key=repr) for name in AGGREGATE_TABLES
    }


@pytest.mark.parametrize("layout", ["common", "combined", "vhost_combined"])
def test_the_format_is_detected_from_the_first_lines(store_config, tmp_path, layout):
    log = write_sample_log(path=tmp_path / "access.log", lines=1500, seed=4, layout=layout)
    report = ingest(store_config, log, spec=None)
    item = report.files[0]
    assert item.format == layout
    assert item.detected.startswith(f"detected: {layout!r} reads 200 of the first 200")
    assert (item.requests, item.malformed, item.refused) == (1500, 0, None)


def test_a_common_log_with_default_settings_has_visitors_visits_and_page_views(
    store_config, tmp_path
):
    log = write_sample_log(path=tmp_path / "access.log", lines=3000, seed=4, layout="common")
    assert ingest(store_config, log, spec=None).requests == 3000
    ((requests, crawler, views, visits, visitors),) = _rows(
        store_config,
        "SELECT sum(requests), sum(crawler_requests), sum(page_views), sum(visits), "
        "sum(visitors) FROM traffic_daily",
    )
    assert (requests, crawler) == (3000, 0)
    assert views > 1000 and visits > 100 and visitors > 100
    browsers = _rows(store_config, "SELECT DISTINCT value FROM dimension_counts "
                     "WHERE dimension = 'browser'")  # fmt: skip
    assert browsers == [("Unknown",)]


def test_the_configured_format_is_tried_first(store_config, tmp_path):
    custom = '%v %h %t "%r" %>s %D'
    log = tmp_path / "custom.log"
    log.write_text(
        "".join(
            f'shop.example.com 203.0.113.{n} [04/Mar/2024:10:00:{n:02d} +0000] "GET /x HTTP/1.1" '
            f"200 {n}\n"
            for n in range(30)
        ),
        encoding="utf-8",
    )
    item = ingest(store_config, log, spec=None, configured=log_format(spec=custom)).files[0]
    assert (item.format, item.requests) == (custom, 30)
    assert item.detected.startswith("detected: the configured format reads 30 of the first 30")


def test_a_wrong_format_is_refused_naming_the_likely_one_and_nothing_is_read(
    store_config, tmp_path
):
    log = write_sample_log(path=tmp_path / "access.log", lines=2000, seed=4, layout="common")
    report = ingest(store_config, log, spec="combined")
    (refused,) = report.refused
    assert "200 of the first 200 lines are not in the 'combined' format" in refused
    assert "they read as 'common' (200 of 200): run again with --format 'common'" in refused
    assert "Nothing of the file was read." in refused
    assert report.files[0].new_lines == 0
    assert _rows(store_config, "SELECT count(*) FROM ingested_files") == [(0,)]
    assert _rows(store_config, "SELECT count(*) FROM fact_files") == [(0,)]
    again = ingest(store_config, log, spec="common")
    assert (again.requests, again.malformed) == (2000, 0)


def test_a_file_no_format_reads_is_refused(store_config, tmp_path):
    log = tmp_path / "error.log"
    log.write_text("[Mon Mar 04 10:00:00 2024] [error] File does not exist\n" * 40)
    (refused,) = ingest(store_config, log, spec=None).refused
    assert "no known format reads them: give the server's LogFormat with --format" in refused


def test_a_chunk_mostly_malformed_stops_the_file_before_it(tmp_path):
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=16 * 1024)
    good = list(sample_log_lines(lines=600, seed=2))
    bad = [line.rsplit(' "', 2)[0] + " junk" for line in sample_log_lines(lines=600, seed=3)]
    log = tmp_path / "access.log"
    log.write_text("\n".join(good + bad) + "\n", encoding="utf-8")
    report = ingest(config, log, spec=None)
    (refused,) = report.refused
    assert "lines are not in the 'combined' format" in refused
    assert "The file stops before them; the lines before them are kept." in refused
    item = report.files[0]
    assert 0 < item.requests <= 600 and item.malformed < item.requests
    (offset,) = _rows(config, "SELECT byte_offset FROM ingested_files")[0]
    assert offset <= len("\n".join(good)) + 1


def test_a_file_keeps_its_format_when_it_grows(store_config, tmp_path):
    lines = list(sample_log_lines(lines=400, seed=4, layout="common"))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines[:300]) + "\n", encoding="utf-8")
    assert ingest(store_config, log, spec=None).files[0].format == "common"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    item = ingest(store_config, log, spec=None).files[0]
    assert (item.format, item.detected, item.requests) == ("common", "as in its previous runs", 100)


def test_forget_then_ingest_in_the_right_format_equals_a_clean_ingest(tmp_path, db):
    log = write_sample_log(path=tmp_path / "access.log", lines=3000, seed=6)
    other = write_sample_log(path=tmp_path / "other.log", lines=2000, seed=8)
    clean = WeblogConfig(paths=WeblogPaths(tmp_path / "clean"), chunk_bytes=32 * 1024)
    ingest(clean, log, other)
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "store"), chunk_bytes=32 * 1024)
    wrong = ingest(config, log, other, spec="common")  # fits, but loses referrers and agents
    assert wrong.requests == 5000
    assert _figures(config) != _figures(clean)
    logs_compact(config=config, now=NOW + dt.timedelta(days=30))  # parts merged per file
    (done,) = logs_forget(config=config, sources=[log])
    assert (done.requests, done.lines) == (3000, 3000)
    other_only = WeblogConfig(paths=WeblogPaths(tmp_path / "other"), chunk_bytes=32 * 1024)
    ingest(other_only, other, spec="common")
    assert _figures(config) == _figures(other_only)
    logs_forget(config=config, sources=[other])
    assert ingest(config, log, other, spec=None).requests == 5000
    assert _figures(config) == _figures(clean)
    con = raw_hits_connect(config.paths)
    try:  # the diagnostics store holds each request once, not the forgotten runs' too
        assert con.execute("SELECT count(*) FROM raw_hits").fetchall() == [(5000,)]
    finally:
        con.close()
    with pytest.raises(LogForgetError, match="not in the store"):
        logs_forget(config=config, sources=[tmp_path / "clean" / "analytics.duckdb"])


def test_the_logs_command_says_the_format_refuses_and_forgets(store_config, tmp_path, settings, db):
    settings.WEBLOG_DIR = str(store_config.paths.root)
    log = write_sample_log(path=tmp_path / "access.log", lines=500, seed=4, layout="common")
    with pytest.raises(CommandError, match="run again with --format 'common'"):
        call_command("logs", "ingest", "--format", "combined", str(log), stdout=StringIO(),
                     stderr=StringIO())  # fmt: skip
    out = StringIO()
    call_command("logs", "ingest", str(log), stdout=out)
    assert "format common (detected: 'common' reads 200 of the first 200 lines)" in out.getvalue()
    assert "500 requests" in out.getvalue()
    out = StringIO()
    call_command("logs", "forget", str(log), stdout=out)
    assert "forgot 500 requests (500 lines)" in out.getvalue()
    with pytest.raises(CommandError, match="not in the store"):
        call_command("logs", "forget", str(log), stdout=StringIO())


def test_a_first_line_longer_than_the_sample_is_still_detected(store_config, tmp_path):
    log = tmp_path / "access.log"
    long_agent = "Mozilla/5.0 " + "x" * 300_000  # past the 256 KB sample
    log.write_text(line(agent=long_agent) + line(), encoding="utf-8")
    item = ingest(store_config, log, spec=None).files[0]
    assert (item.format, item.requests, item.refused) == ("combined", 2, None)


def test_a_file_that_cannot_be_read_fails_the_command_and_the_others_are_read(
    store_config, tmp_path, settings, db
):
    """A missing file is an error (exit status 1), not a quiet "skipped"; the files that
    can be read are ingested all the same, and a refusal is said once."""
    settings.WEBLOG_DIR = str(store_config.paths.root)
    good = write_sample_log(path=tmp_path / "access.log", lines=300, seed=4)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"nope\.log: cannot read: No such file"):
        call_command(
            "logs", "ingest", str(tmp_path / "nope.log"), str(good), stdout=out, stderr=err
        )
    assert "300 requests in total" in out.getvalue()
    assert "nope.log" not in out.getvalue() + err.getvalue()  # said once, by the error
    wrong = write_sample_log(path=tmp_path / "other.log", lines=300, seed=5, layout="common")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("logs", "ingest", "--format", "combined", str(wrong), stdout=out, stderr=err)
    said = out.getvalue() + err.getvalue() + str(raised.value)
    assert said.count("run again with --format 'common'") == 1
    assert "in total" not in out.getvalue()  # nothing was read: the error alone, no "0 requests"
    out = StringIO()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("logs", "ingest", str(tmp_path / "nope.log"), stdout=out)
    assert out.getvalue() == ""
    one = tmp_path / "one.log"
    one.write_text(line(), encoding="utf-8")
    out = StringIO()
    call_command("logs", "ingest", str(one), stdout=out)
    assert "1 new line, 1 request, 0 malformed" in out.getvalue()
    assert "1 request in total; 1 day aggregated" in out.getvalue()


def test_a_file_with_no_line_end_is_refused_as_not_a_text_log(store_config, tmp_path):
    log = tmp_path / "zeros.log"
    log.write_bytes(b"\x00" * (17 * 1024 * 1024 + 1))
    (refused,) = ingest(store_config, log, spec=None).refused
    assert refused == (
        f"{log}: no line ends in it (read up to 17,039,360 bytes): not a text web log. "
        "Nothing of the file was read."
    )


def _guess_of_all(lines: list[str], configured: Any) -> FormatGuess:
    """Every candidate parsed, the best by reads, then configured, then fields (the first of
    equals): what ``format_guess`` gives while parsing fewer of them."""
    candidates = [(configured, "configured")] if configured is not None else []
    candidates += [(log_format(spec=name), name) for name in DETECTED]
    scored = [format_score(fmt, name, lines) for fmt, name in candidates]
    return max(scored, key=lambda g: (g.parsed, g.name == "configured", len(g.fmt.fields)))


_LAYOUT_LINES = {
    layout: list(sample_log_lines(lines=40, seed=3, layout=layout))
    for layout in ("common", "combined", "vhost_combined")
}


@hypothesis_settings(max_examples=80, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(["common", "combined", "vhost_combined", "junk"]),
                  st.integers(0, 39)),
        max_size=30,
    ),
    configured=st.sampled_from([None, "common", "combined", '%h %t "%r" %>s %b "%{Referer}i"']),
)  # fmt: skip
def test_format_guess_gives_the_best_candidate_while_parsing_fewer(picks, configured):
    lines = [
        "not a log line at all" if layout == "junk" else _LAYOUT_LINES[layout][at]
        for layout, at in picks
    ]
    fmt = None if configured is None else log_format(spec=configured)
    assert format_guess(lines, fmt) == _guess_of_all(lines, fmt)
