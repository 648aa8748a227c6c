"""Ingest: counts, idempotency, growth, gzip, malformed lines (BE-5)."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from typing import Any

import duckdb
import pytest

from keepfaith.weblog.conf import weblog_config
from keepfaith.weblog.facts import chunk_facts
from keepfaith.weblog.ingest import WeblogConfig
from keepfaith.weblog.retention import logs_compact
from keepfaith.weblog.sample import sample_log_lines, write_sample_log
from keepfaith.weblog.store import WeblogPaths, WeblogStoreError, facts_view, raw_hits_connect

from .conftest import NOW, ingest, line


def _count(config: WeblogConfig, sql: str) -> int:
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    try:
        facts_view(con=con, paths=config.paths)
        row = con.execute(sql).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


@pytest.mark.clause("BE-5")
def test_every_generated_line_becomes_one_request(store_config, tmp_path):
    log = write_sample_log(path=tmp_path / "access.log", lines=3000)
    report = ingest(store_config, log)
    assert report.requests == 3000
    assert report.malformed == 0
    assert _count(store_config, "SELECT count(*) FROM requests") == 3000
    assert _count(store_config, "SELECT sum(requests) FROM traffic_daily") == 3000


@pytest.mark.clause("BE-5")
def test_ingesting_the_same_file_again_adds_nothing(store_config, tmp_path):
    log = write_sample_log(path=tmp_path / "access.log", lines=2000)
    ingest(store_config, log)
    again = ingest(store_config, log)
    assert again.requests == 0
    assert again.files[0].new_lines == 0
    assert _count(store_config, "SELECT count(*) FROM requests") == 2000
    assert _count(store_config, "SELECT sum(requests) FROM traffic_daily") == 2000


@pytest.mark.clause("BE-5")
def test_a_renamed_file_is_recognised_by_its_content(store_config, tmp_path):
    log = write_sample_log(path=tmp_path / "access.log", lines=500)
    ingest(store_config, log)
    renamed = log.rename(tmp_path / "access.log.1")
    assert ingest(store_config, renamed).requests == 0


@pytest.mark.clause("BE-5")
def test_a_grown_file_adds_only_its_new_lines(store_config, tmp_path):
    lines = list(sample_log_lines(lines=1500))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines[:1000]) + "\n" + lines[1000][:40], encoding="utf-8")
    first = ingest(store_config, log)
    assert first.requests == 1000  # the unfinished last line waits for its newline
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = ingest(store_config, log)
    assert second.requests == 500
    assert second.malformed == 0
    assert _count(store_config, "SELECT count(*) FROM requests") == 1500


@pytest.mark.clause("BE-5")
def test_gzip_logs_are_read_like_plain_ones(store_config, tmp_path):
    plain = write_sample_log(path=tmp_path / "plain" / "access.log", lines=800, seed=3)
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert ingest(store_config, packed).requests == 800
    assert ingest(store_config, plain).requests == 0  # same content, same fingerprint


@pytest.mark.clause("BE-5")
def test_a_damaged_gzip_log_is_named_and_read_once_whole(store_config, tmp_path):
    """Cut short or corrupt: the file is reported unreadable (not an EOFError traceback),
    the other files are ingested, and the whole file is read once it is whole."""
    plain = write_sample_log(path=tmp_path / "plain" / "access.log", lines=3000, seed=3)
    whole = gzip.compress(plain.read_bytes())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    corrupt = tmp_path / "corrupt.log.gz"
    corrupt.write_bytes(b"\x1f\x8b" + b"x" * 40)
    other = write_sample_log(path=tmp_path / "other.log", lines=200, seed=5)
    report = ingest(store_config, cut, corrupt, other)
    assert report.requests == 200
    assert [text.split(":")[0] for text in report.unreadable] == [str(cut), str(corrupt)]
    assert all("the gzip file is damaged" in text for text in report.unreadable)
    cut.write_bytes(whole)
    assert ingest(store_config, cut).requests == 3000


@pytest.mark.clause("BE-5")
def test_malformed_lines_are_counted_sampled_and_never_stop_the_run(store_config, tmp_path):
    good = [line(when=f"04/Mar/2024:10:00:{second:02d} +0000") for second in range(10)]
    bad = [
        b"\x00\x01\xff\xfe binary junk \x80\x81\n",
        line()[:37].encode() + b"\n",  # truncated inside the request
        line(when="31/Foo/2024:10:00:00 +0000").encode(),  # bad date
        line(request="-").encode(),  # no request line
        line(status=2000).encode(),
    ]
    log = tmp_path / "access.log"
    log.write_bytes(
        b"".join([*(x.encode() for x in good[:5]), *bad, *(x.encode() for x in good[5:])])
    )
    report = ingest(store_config, log)
    item = report.files[0]
    assert (item.requests, item.malformed) == (10, 5)
    reasons = sorted(reason for reason, _, _ in item.samples)
    assert [number for _, number, _ in item.samples] == [6, 7, 8, 9, 10]  # the file's lines
    assert reasons == sorted(
        [
            "not the log format",
            "not the log format",
            "bad date",
            "bad request line",
            "not the log format",
        ]
    )
    assert all("198.51.100.7" not in excerpt for _, _, excerpt in item.samples)


@pytest.mark.clause("BE-5")
def test_out_of_order_lines_are_counted_and_kept(store_config, tmp_path):
    stamps = [
        "04/Mar/2024:10:00:00",
        "04/Mar/2024:11:00:00",
        "04/Mar/2024:09:00:00",
        "04/Mar/2024:11:05:00",
    ]
    log = tmp_path / "access.log"
    log.write_text("".join(line(when=f"{stamp} +0000") for stamp in stamps), encoding="utf-8")
    item = ingest(store_config, log).files[0]
    assert (item.requests, item.out_of_order, item.malformed) == (4, 1, 0)


@pytest.mark.clause("BE-5")
def test_time_zones_are_converted_to_utc(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(when="05/Mar/2024:01:30:00 +0200"), encoding="utf-8")
    ingest(store_config, log)
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    rows = con.execute("SELECT day::VARCHAR, hour FROM traffic_hourly").fetchall()
    con.close()
    assert rows == [("2024-03-04", 23)]


@pytest.mark.clause("BE-5")
def test_a_host_name_in_the_host_field_is_accepted(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(host="dsl-42.customer.example.net"), encoding="utf-8")
    assert ingest(store_config, log).requests == 1
    assert (
        _count(
            store_config,
            "SELECT count(*) FROM dimension_counts WHERE dimension = 'country' AND value = '??'",
        )
        == 1
    )


def test_nginx_and_custom_formats(store_config, tmp_path):
    log = tmp_path / "nginx.log"
    log.write_text(line(), encoding="utf-8")
    assert ingest(store_config, log, spec="nginx").requests == 1
    custom = tmp_path / "custom.log"
    custom.write_text(
        'shop.example.com 203.0.113.9 [04/Mar/2024:10:00:00 +0000] "GET /x HTTP/1.1" 404 1234\n',
        encoding="utf-8",
    )
    report = ingest(store_config, custom, spec='%v %h %t "%r" %>s %D')
    assert (report.requests, report.malformed) == (1, 0)


def test_a_missing_file_is_reported_not_raised(store_config, tmp_path):
    report = ingest(store_config, tmp_path / "absent.log")
    assert report.files[0].skipped is not None
    assert "cannot read" in report.files[0].skipped


def test_a_store_from_before_parquet_parts_is_refused_with_a_clear_error(store_config, tmp_path):
    store_config.paths.root.mkdir(parents=True)
    con = duckdb.connect(str(store_config.paths.analytics))
    con.execute("CREATE TABLE requests (day DATE)")
    con.close()
    log = write_sample_log(path=tmp_path / "access.log", lines=10)
    with pytest.raises(WeblogStoreError, match="move the folder aside and ingest the logs again"):
        ingest(store_config, log)


@pytest.mark.clause("BE-5")
def test_parts_no_commit_lists_are_deleted_and_never_counted(store_config, tmp_path):
    log = write_sample_log(path=tmp_path / "access.log", lines=300)
    ingest(store_config, log)
    listed = sorted(store_config.paths.parquet.rglob("*.parquet"))
    # What a run killed between writing a chunk's parts and its commit leaves behind.
    name = "day=2024-03-04/0000000000000000-00000000000000-0.parquet"
    orphans = [store_config.paths.parquet / name, store_config.paths.raw_hits / name]
    for orphan in orphans:
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(listed[0].read_bytes())
    more = write_sample_log(path=tmp_path / "more.log", lines=200, seed=9)
    assert ingest(store_config, more).requests == 200
    assert not any(orphan.exists() for orphan in orphans)
    assert _count(store_config, "SELECT count(*) FROM requests") == 500
    assert _count(store_config, "SELECT sum(requests) FROM traffic_daily") == 500


@pytest.mark.clause("BE-5")
def test_compaction_merges_a_days_parts_without_changing_a_row(tmp_path, db):
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=16 * 1024)
    log = write_sample_log(path=tmp_path / "access.log", lines=3000)
    ingest(config, log)
    paths = config.paths

    def state() -> tuple[list[Any], list[Any], list[Any]]:
        con = duckdb.connect(str(paths.analytics), read_only=True)
        facts_view(con=con, paths=paths)
        facts = con.execute("SELECT * FROM requests ORDER BY ALL").fetchall()  # every row
        parts = con.execute("SELECT day, count(*) FROM fact_files GROUP BY 1 ORDER BY 1").fetchall()
        con.close()
        raw = raw_hits_connect(paths)
        hits = raw.execute("SELECT * FROM raw_hits ORDER BY ALL").fetchall()
        raw.close()
        return facts, hits, parts

    facts, hits, parts = state()
    assert max(count for _, count in parts) > 1
    before_files = set(paths.root.rglob("*.parquet"))
    merged = logs_compact(config=config, now=NOW)
    closed = NOW.date() - dt.timedelta(days=1)  # days before yesterday are merged
    assert merged == len([day for day, count in parts if count > 1 and day < closed])
    assert merged > 0
    facts_after, hits_after, parts_after = state()
    assert (facts_after, hits_after) == (facts, hits)
    assert all(count == 1 for day, count in parts_after if day < closed)
    after_files = set(paths.root.rglob("*.parquet"))
    assert len(after_files) < len(before_files)
    raw_files = [part for part in after_files if paths.raw_hits in part.parents]
    assert raw_files and all(part.stat().st_mode & 0o077 == 0 for part in raw_files)
    assert logs_compact(config=config, now=NOW) == 0  # nothing left to merge


@pytest.mark.clause("BE-5")
def test_a_malformed_line_is_named_by_its_line_in_the_file_across_chunks_and_runs(
    store_config, tmp_path
):
    lines = [x + "\n" for x in sample_log_lines(lines=3000)]  # several 64 KiB chunks
    lines[2499] = "garbage that is not a log line\n"
    log = tmp_path / "access.log"
    log.write_text("".join(lines[:2000]), encoding="utf-8")
    ingest(store_config, log)
    log.write_text("".join(lines), encoding="utf-8")
    [item] = ingest(store_config, log).files
    assert [number for _, number, _ in item.samples] == [2500]


@pytest.mark.clause("BE-5")
def test_malformed_lines_never_make_good_ones_out_of_order(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        line(when="04/Mar/2024:10:00:00 +0000")
        + line(when="04/Mar/2024:23:00:00 +0000", request="-")  # bad request line, late time
        + line(when="04/Mar/2024:10:01:00 +0000"),
        encoding="utf-8",
    )
    item = ingest(store_config, log).files[0]
    assert (item.requests, item.malformed, item.out_of_order) == (2, 1, 0)


@pytest.mark.clause("BE-5")
def test_a_worker_that_fails_stops_the_run_and_the_next_run_completes_it(tmp_path, monkeypatch):
    """An error in one chunk's worker (a full disk, say) stops the run with that error; the
    chunks committed before it stay, the rest come with the next run, counted once."""
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=16 * 1024, workers=3)
    log = write_sample_log(path=tmp_path / "access.log", lines=2000)
    real_facts = chunk_facts
    calls = {"n": 0}

    def failing_facts(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real_facts(*args, **kwargs)

    monkeypatch.setattr("keepfaith.weblog.ingest.chunk_facts", failing_facts)
    with pytest.raises(OSError, match="No space left"):
        ingest(config, log)
    # No connection of the failed run is left open: another process can take the files.
    for store in (config.paths.analytics, config.paths.diagnostics):
        opener = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
        subprocess.run([sys.executable, "-c", opener, str(store)], check=True, timeout=60)
    committed = _count(config, "SELECT count(*) FROM requests")
    assert 0 < committed < 2000
    monkeypatch.setattr("keepfaith.weblog.ingest.chunk_facts", real_facts)
    report = ingest(config, log)
    assert report.requests == 2000 - committed
    assert _count(config, "SELECT count(*) FROM requests") == 2000
    assert _count(config, "SELECT sum(requests) FROM traffic_daily") == 2000
    listed = _count(config, "SELECT count(*) FROM fact_files")
    assert listed == len(list(config.paths.parquet.rglob("*.parquet")))


@pytest.mark.clause("BE-5")
def test_a_day_crowded_with_parts_is_merged_at_the_end_of_the_ingest(tmp_path, monkeypatch):
    """Small chunks (or a log ingested every few minutes) give a day many parts; past
    DAY_PARTS_MAX the ingest merges them, without changing a row."""
    monkeypatch.setattr("keepfaith.weblog.ingest.DAY_PARTS_MAX", 8)  # ~25 parts a day here
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "weblog"), chunk_bytes=4 * 1024)
    log = write_sample_log(path=tmp_path / "access.log", lines=3000)
    report = ingest(config, log)
    assert report.days_merged > 0
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    most = con.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM fact_files GROUP BY day)")
    assert most.fetchall() == [(1,)]  # every crowded day merged into one part
    con.close()
    assert _count(config, "SELECT count(*) FROM requests") == 3000
    assert _count(config, "SELECT sum(requests) FROM traffic_daily") == 3000
    raw = raw_hits_connect(config.paths)
    assert raw.execute("SELECT count(*) FROM raw_hits").fetchall() == [(3000,)]
    raw.close()
    on_disk = len(list(config.paths.parquet.rglob("*.parquet")))
    assert on_disk == _count(config, "SELECT count(*) FROM fact_files")


AGGREGATE_TABLES_SQL = {
    "traffic_daily": "SELECT * FROM traffic_daily",
    "traffic_hourly": "SELECT * FROM traffic_hourly",
    "dimension_counts": "SELECT * FROM dimension_counts",
    "entry_pages": "SELECT * FROM entry_pages",
    "exit_pages": "SELECT * FROM exit_pages",
    "transitions": "SELECT * FROM transitions",
    "files": "SELECT * FROM files",
    "errors": "SELECT * FROM errors",
}


def _aggregates(config: WeblogConfig) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    try:
        return {
            name: sorted(con.execute(sql).fetchall(), key=repr)
            for name, sql in AGGREGATE_TABLES_SQL.items()
        }
    finally:
        con.close()


@pytest.mark.clause("BE-5")
def test_the_figures_do_not_depend_on_chunk_size_or_workers(tmp_path):
    """Chunks and workers are a memory/speed trade-off only: every aggregate is the same."""
    log = write_sample_log(path=tmp_path / "access.log", lines=3000)
    small = WeblogConfig(paths=WeblogPaths(tmp_path / "small"), chunk_bytes=8 * 1024, workers=1)
    large = WeblogConfig(paths=WeblogPaths(tmp_path / "large"), chunk_bytes=1 << 20, workers=3)
    for config in (small, large):
        assert ingest(config, log).requests == 3000
    assert _aggregates(small) == _aggregates(large)


@pytest.mark.clause("BE-5")
def test_dimension_counts_equal_a_count_over_the_request_facts(store_config, tmp_path):
    """Each dimension's requests and unique visitors, recounted in Python from the facts;
    crawlers count as requests of their own dimension, never as visitors of another."""
    ingest(store_config, write_sample_log(path=tmp_path / "access.log", lines=3000))
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    facts_view(con=con, paths=store_config.paths)
    facts = con.execute(
        "SELECT day, status, method, crawler, country, browser, os, referrer_domain, visitor "
        "FROM requests"
    ).fetchall()
    stored = con.execute("SELECT day, dimension, value, requests, visitors FROM dimension_counts")
    ours = {(day, dim, value): (n, v) for day, dim, value, n, v in stored.fetchall()}
    con.close()
    requests: dict[tuple[Any, str, Any], int] = {}
    visitors: dict[tuple[Any, str, Any], set[int]] = {}
    for day, status, method, crawler, country, browser, os_, referrer, visitor in facts:
        human = crawler is None
        values = {"status": str(status), "method": method}
        if human:
            values |= {"country": country, "browser": browser, "os": os_}
            if referrer is not None:
                values["referrer"] = referrer
        else:
            values["crawler"] = crawler
        for dimension, value in values.items():
            key = (day, dimension, value)
            requests[key] = requests.get(key, 0) + 1
            seen = visitors.setdefault(key, set())
            if human:
                seen.add(visitor)
    expected = {key: (count, len(visitors[key])) for key, count in requests.items()}
    assert {key[1] for key in expected} >= {"status", "method", "crawler", "country", "os"}
    assert ours == expected


@pytest.mark.clause("BE-5")
@pytest.mark.parametrize("gap", [30, 5])
def test_visits_equal_a_walk_over_the_page_views(tmp_path, gap):
    """Visits, entry and exit pages and transitions, recounted in Python from the page-view
    facts: a visit is a run of one visitor's page views (in time, then path order) with gaps
    of at most the visit gap; a gap of exactly the visit gap stays inside the visit."""
    config = WeblogConfig(paths=WeblogPaths(tmp_path / "store"), visit_gap_minutes=gap)
    edges = tmp_path / "edges.log"  # one visitor: a gap of exactly the visit gap, then 1 s more
    edges.write_text("".join(
        line(host="203.0.113.77", when=f"05/Mar/2024:{hh:02d}:{mm:02d}:{ss:02d} +0000",
             request=f"GET {page} HTTP/1.1")
        for (hh, mm, ss), page in (
            ((9, 0, 0), "/"), ((9, gap, 0), "/b/"), ((9, gap, 0), "/a/"),
            ((9 + (2 * gap) // 60, (2 * gap) % 60, 1), "/c/"),
        )
    ))  # fmt: skip
    ingest(config, write_sample_log(path=tmp_path / "access.log", lines=3000), edges)
    con = duckdb.connect(str(config.paths.analytics), read_only=True)
    facts_view(con=con, paths=config.paths)
    views = con.execute(
        "SELECT day, visitor, ts, path FROM requests WHERE is_page ORDER BY ALL"
    ).fetchall()
    found = {
        "visits": dict(con.execute("SELECT day, visits FROM traffic_daily WHERE visits > 0")
                       .fetchall()),
        "entries": {(d, p): n for d, p, n in con.execute("SELECT * FROM entry_pages").fetchall()},
        "exits": {(d, p): n for d, p, n in con.execute("SELECT * FROM exit_pages").fetchall()},
        "transitions": {(d, a, b): n for d, a, b, n in con.execute(
            "SELECT day, from_path, to_path, visits FROM transitions").fetchall()},
    }  # fmt: skip
    con.close()
    expected: dict[str, dict[Any, int]] = {name: {} for name in found}

    def add(name: str, key: Any) -> None:
        expected[name][key] = expected[name].get(key, 0) + 1

    limit = dt.timedelta(minutes=gap)
    for at, (day, visitor, ts, path) in enumerate(views):
        before = views[at - 1] if at else None
        after = views[at + 1] if at + 1 < len(views) else None
        starts = before is None or before[:2] != (day, visitor) or ts - before[2] > limit
        inside = after is not None and after[:2] == (day, visitor) and after[2] - ts <= limit
        if starts:
            add("visits", day)
            add("entries", (day, path))
        if inside:
            assert after is not None
            add("transitions", (day, path, after[3]))
        else:
            add("exits", (day, path))
    assert sum(expected["visits"].values()) > len({v[:2] for v in views})  # some visitor returns
    day = dt.date(2024, 3, 5)
    assert expected["transitions"].get((day, "/a/", "/b/"), 0) >= 1  # same second: path order
    assert found == expected


def test_the_settings_set_the_ingest_workers_chunks_commits_and_memory(settings):
    settings.WEBLOG_WORKERS, settings.WEBLOG_CHUNK_MB, settings.WEBLOG_MEMORY_MB = 1, 2, 128
    config = weblog_config()
    assert (config.workers, config.chunk_bytes, config.memory_mb) == (1, 2 * 1024 * 1024, 128)
    assert config.commit_chunks == 32  # about 64 MB of log between commits, as with 4 MB chunks
    settings.WEBLOG_CHUNK_MB = 64
    assert weblog_config().commit_chunks == 1


@pytest.mark.clause("BE-5")
def test_requests_no_server_writes_are_malformed_and_the_file_goes_on(store_config, tmp_path):
    """A 60 KB path was stored in the facts (60 MB ones jammed every later aggregate), and a
    time at the calendar's edge crashed the ingest at that line, every run."""
    from keepfaith.weblog.parse import MAX_FIELD_CHARS

    log = tmp_path / "access.log"
    log.write_text(
        "".join(line(request=f"GET /ok{i} HTTP/1.1") for i in range(10))
        + line(request=f"GET /{'p' * (MAX_FIELD_CHARS + 1)} HTTP/1.1")
        + line(when="31/Dec/9999:23:59:59 -0100")
        + line(when="01/Jan/0001:00:00:00 +0100")
        + line(request="GET /also-ok HTTP/1.1"),
        encoding="utf-8",
    )
    report = ingest(store_config, log, spec=None)  # the format detected from its first lines
    (item,) = report.files
    assert item.refused is None
    assert (item.requests, item.malformed) == (11, 3)
    assert {reason for reason, _n, _excerpt in item.samples} == {"line too long", "bad date"}
    assert all(len(excerpt) <= 160 for _r, _n, excerpt in item.samples)


@pytest.mark.clause("BE-5")
@pytest.mark.parametrize("chunk_mb", [0, 4])  # 0: the tests' 64 KiB; 4: the default
def test_a_line_longer_than_any_server_writes_stops_the_file_there_with_a_clear_reason(
    store_config, tmp_path, chunk_mb
):
    """A last line that never ends was held whole in memory, and read again on every run."""
    from dataclasses import replace

    from keepfaith.weblog.sources import MAX_LINE_BYTES

    if chunk_mb:
        store_config = replace(store_config, chunk_bytes=chunk_mb * 1024 * 1024)

    log = tmp_path / "access.log"
    good = line(request="GET /before HTTP/1.1")
    log.write_bytes(good.encode() * 3 + b"x" * (MAX_LINE_BYTES + 10))
    report = ingest(store_config, log)
    (item,) = report.files
    assert item.requests == 3  # the lines before it are kept
    assert item.refused is not None
    assert item.refused.startswith(f"{log}: the line that starts at byte {len(good) * 3:,}")
    assert "is longer than 1,048,576 bytes" in item.refused
    again = ingest(store_config, log).files[0]
    assert again.requests == 0 and "is longer than" in (again.refused or "")


@pytest.mark.clause("BE-5")
def test_two_logs_that_start_with_the_same_line_are_two_logs(store_config, tmp_path):
    """Two servers behind one balancer, rotated in the same second, start with the same
    health check: the second log lost its first lines as "already read" (and one cut in half
    was counted as malformed)."""
    health = line(host="10.0.0.2", request="GET /health HTTP/1.1", agent="ELB-HealthChecker/2.0")
    web1, web2 = tmp_path / "web1.log", tmp_path / "web2.log"
    web1.write_text(health + "".join(line(request=f"GET /a{i} HTTP/1.1") for i in range(50)))
    web2.write_text(health + "".join(line(request=f"GET /bb{i} HTTP/1.1") for i in range(80)))
    first = ingest(store_config, web1).files[0]
    second = ingest(store_config, web2).files[0]
    assert (first.new_lines, first.requests) == (51, 51)
    assert (second.new_lines, second.requests, second.malformed) == (81, 81, 0)
    assert second.fingerprint != first.fingerprint


@pytest.mark.clause("BE-5")
def test_a_log_read_when_it_had_few_lines_is_found_again_as_it_grows(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(request="GET /one HTTP/1.1") + line(request="GET /two HTTP/1.1"))
    first = ingest(store_config, log).files[0]
    with log.open("a") as handle:
        handle.write("".join(line(request=f"GET /more{i} HTTP/1.1") for i in range(20)))
    grown = ingest(store_config, log).files[0]
    assert grown.fingerprint == first.fingerprint
    assert (grown.new_lines, grown.requests) == (20, 20)


@pytest.mark.clause("BE-5")
@pytest.mark.parametrize("spec", ["combined", None])
def test_log_times_are_kept_in_utc_whatever_the_site_s_time_zone(
    store_config, tmp_path, settings, spec
):
    """Django sets the process's TZ to the company's time zone; DuckDB reads a time without
    a zone of its own in its session's zone, and a cursor does not inherit ``SET TimeZone``:
    an ingest worker read 23:30 UTC as the next day in Kiritimati (UTC+14)."""
    settings.TIME_ZONE = "Pacific/Kiritimati"
    log = tmp_path / "access.log"
    stamps = [
        "04/Mar/2024:00:10:00 +0000",
        "04/Mar/2024:23:30:00 +0000",
        "04/Mar/2024:23:30:00 +0100",
    ]
    # a backslash sends a line to the SQL parser (the compiled scanner defers it)
    agents = ["Mozilla/5.0", 'Mozilla/5.0 (\\"quoted\\")', "Mozilla/5.0"]
    lines = (line(when=when, agent=agent) for when, agent in zip(stamps, agents, strict=True))
    log.write_text("".join(lines), encoding="utf-8")
    assert ingest(store_config, log, spec=spec).requests == 3
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    try:
        facts_view(con=con, paths=store_config.paths)
        con.execute("SET TimeZone = 'UTC'")
        days = con.execute("SELECT day, sum(requests) FROM traffic_daily GROUP BY day").fetchall()
        times = sorted(str(t) for (t,) in con.execute("SELECT ts FROM requests").fetchall())
    finally:
        con.close()
    assert days == [(dt.date(2024, 3, 4), 3)]
    assert times[0].startswith("2024-03-04 00:10:00") and times[-1].startswith("2024-03-04 23:30")
