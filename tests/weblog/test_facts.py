"""The facts of a chunk, built column-wise by Arrow, equal a per-row reference in Python."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.weblog.facts import PAGE_EXTENSIONS, chunk_facts, extension, referrer_parts
from keepfaith.weblog.fastparse import chunk_parse
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.parse import LogRecord, log_record
from keepfaith.weblog.privacy import (
    registry_countries,
    truncated_network,
    truncated_networks,
    visitor_pseudonym,
)
from keepfaith.weblog.useragents import agent_families

HOSTS = st.one_of(
    st.tuples(*[st.integers(min_value=0, max_value=300)] * 4).map(
        lambda octets: ".".join(map(str, octets))
    ),
    st.sampled_from(
        [
            "8.8.8.8",
            "010.001.2.3",
            "1.2.3",
            "1.2.3.4.5",
            "2001:db8::1",
            "[2001:db8:1:2::9]",
            "::ffff:1.2.3.4",
            "crawl-1.search.example.COM",
            "localhost",
            "\u0661.2.3.4",
            "a..b",
        ]
    ),
)
AGENTS = st.sampled_from(
    [
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.0",
        "-",
        "",
    ]
)
TARGETS = st.sampled_from(
    ["/", "/a/b.HTML?x=1", "/report.pdf", "/x.y.tar.GZ", "/.hidden", "/f.averylongext", "/d/"]
)
REFERRERS = st.sampled_from(
    [
        "-",
        "",
        "https://Search.Example:8443/q?x=1#top",
        "http://a.example/p#f",
        "android-app://com.app/",
        "no-scheme.example/page",
        "https://",
    ]
)
STATUSES = st.sampled_from(["200", "304", "301", "404", "500"])
TIMES = st.sampled_from(
    ["04/Mar/2024:10:00:00 +0000", "04/Mar/2024:23:30:00 -0100", "05/Mar/2024:01:00:00 +0200"]
)
METHODS = st.sampled_from(["GET", "get", "POST", "HEAD"])


@st.composite
def log_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        lines.append(
            f"{draw(HOSTS)} - - [{draw(TIMES)}] "
            f'"{draw(METHODS)} {draw(TARGETS)} HTTP/1.1" {draw(STATUSES)} 10 '
            f'"{draw(REFERRERS)}" "{draw(AGENTS)}"'
        )
    return lines


KEYS: dict[dt.date, bytes] = {}


def keys_of(days: list[dt.date]) -> dict[dt.date, bytes]:
    return {day: KEYS.setdefault(day, bytes([day.day]) * 32) for day in days}


def reference_fact(record: LogRecord) -> dict[str, object]:
    """One request's fact, computed alone with the scalar functions."""
    when = record.time.replace(tzinfo=None)
    families = agent_families(user_agent=record.user_agent)
    path = record.target.split("?", 1)[0]
    ext = extension(path)
    method = record.method.upper()
    status = record.status
    domain, page = referrer_parts(record.referrer)
    return {
        "day": when.date(),
        "ts": when,
        "visitor": visitor_pseudonym(
            key=keys_of([when.date()])[when.date()],
            day=when.date(),
            network=truncated_network(host=record.host),
            user_agent=record.user_agent,
        ),
        "country": registry_countries(addresses=[record.host])[0],
        "method": method,
        "path": path,
        "ext": ext,
        "is_page": families.crawler is None
        and (status < 300 or status == 304)
        and ext in PAGE_EXTENSIONS
        and method in ("GET", "POST"),
        "status": status,
        "bytes": record.bytes,
        "referrer_domain": domain,
        "referrer_page": page if status >= 400 else None,
        "browser": families.browser,
        "os": families.os,
        "crawler": families.crawler,
        "vhost": None,
    }


@pytest.mark.clause("BE-5")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_lines())
def test_chunk_facts_equal_the_per_request_reference(lines):
    fmt = log_format(spec="combined")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    parsed = chunk_parse(con, "".join(line + "\n" for line in lines).encode(), fmt)
    facts = chunk_facts(parsed, day_keys=keys_of).to_pylist()
    con.close()
    records = [log_record(line=line, fmt=fmt) for line in lines]
    expected = [reference_fact(record) for record in records if isinstance(record, LogRecord)]
    assert facts == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(HOSTS, st.text(max_size=20)), min_size=1, max_size=30))
def test_networks_cut_at_once_equal_one_by_one(hosts):
    assert truncated_networks(hosts=pa.array(hosts, pa.string())).to_pylist() == [
        truncated_network(host=host) for host in hosts
    ]


# The SQL the facts were computed with before they moved to Arrow: the Python keeps its
# meaning (checked on ASCII text; for other text, Python's case mapping decides).
EXTENSION_SQL = """
SELECT CASE WHEN contains(last, '.') AND length(string_split(last, '.')[-1]) <= 10
    THEN lower(string_split(last, '.')[-1]) ELSE '' END
FROM (SELECT string_split($path, '/')[-1] AS last)"""
REFERRER_SQL = """
SELECT CASE WHEN contains($r, '://') THEN NULLIF(lower(split_part(split_part(split_part(
        split_part(split_part($r, '://', 2), '/', 1), '?', 1), '#', 1), ':', 1)), '') END,
    CASE WHEN $r NOT IN ('', '-') THEN split_part(split_part($r, '?', 1), '#', 1) END"""
URLISH = st.text(alphabet=st.sampled_from("aB.:/?#-x9%é"), max_size=30)


_DB = duckdb.connect()


@settings(max_examples=200, deadline=None)
@given(URLISH)
def test_extension_and_referrer_keep_their_sql_meaning(text):
    cur = _DB.cursor()
    try:
        assert (extension(text),) == cur.execute(EXTENSION_SQL, {"path": text}).fetchone()
        assert referrer_parts(text) == cur.execute(REFERRER_SQL, {"r": text}).fetchone()
    finally:
        cur.close()


def test_text_facts_stay_dictionaries_and_their_parts_read_back_as_text(tmp_path):
    """The facts' text columns are dictionary-encoded (no per-row text is built), and the
    Parquet part written from them reads back, through DuckDB, as the same plain values."""
    from keepfaith.weblog.sample import REAL, sample_log_lines
    from keepfaith.weblog.store import WeblogPaths, fact_parts

    start = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    lines = list(sample_log_lines(lines=3000, start=start, shape=REAL))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    parsed = chunk_parse(
        con, "".join(line + "\n" for line in lines).encode(), log_format(spec="combined")
    )
    facts = chunk_facts(parsed, day_keys=keys_of)
    texts = ("country", "method", "path", "ext", "referrer_domain", "referrer_page", "browser",
             "os", "crawler", "vhost")  # fmt: skip
    for name in texts:
        assert pa.types.is_dictionary(facts.column(name).type), name
    facts = facts.append_column("source", pa.repeat(pa.scalar("f" * 64), len(facts)))
    parts = fact_parts(WeblogPaths(root=tmp_path))
    written = parts.write_table(facts, stem="test")
    assert sum(part.rows for part in written) == len(facts) == 3000
    back = con.sql(f"{parts.relation([part.name for part in written])} ORDER BY ts, visitor")
    types = dict(zip(back.columns, back.types, strict=True))
    assert all(str(types[name]) == "VARCHAR" for name in texts)
    got = back.select(", ".join(facts.column_names)).fetchall()
    expected = sorted(
        (tuple(row.values()) for row in facts.to_pylist()), key=lambda row: (row[1], row[2])
    )
    assert got == expected
    con.close()
