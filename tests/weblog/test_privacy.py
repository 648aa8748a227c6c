"""No raw address outside the diagnostics store; pseudonyms that cannot be recomputed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.weblog.privacy import (
    _ipv6_network,
    _ipv6_network_slow,
    registry_countries,
    truncated_network,
    visitor_pseudonym,
    visitor_pseudonyms,
)
from keepfaith.weblog.retention import logs_purge
from keepfaith.weblog.store import ANALYTICS_TABLES, diagnostics_hits, raw_hits_connect

from .conftest import NOW, ingest, line

KNOWN = "203.0.113.77"
KNOWN_V6 = "2001:db8:abcd:12:1:2:3:4"
FORBIDDEN_COLUMNS = {
    "address",
    "ip",
    "host",
    "client",
    "user_agent",
    "customer",
    "customer_id",
    "user",
    "user_id",
    "email",
    "account",
    "session",
}


def test_truncation_keeps_only_the_network():
    assert truncated_network(host="203.0.113.77") == "203.0.113.0/24"
    assert truncated_network(host=KNOWN_V6) == "2001:db8:abcd::/48"
    assert truncated_network(host="DSL-42.pool.example.net.") == "name:dsl-42.pool.example.net"
    assert truncated_network(host="999.1.1.1") == "invalid"
    assert truncated_network(host="\x00junk") == "invalid"


def _written(address: ipaddress.IPv6Address, form: str) -> str:
    text = address.compressed if form == "compressed" else address.exploded.upper()
    return text


@settings(max_examples=400, deadline=None)
@given(
    host=st.one_of(
        st.builds(_written, st.ip_addresses(v=6), st.sampled_from(["compressed", "exploded"])),
        st.builds(lambda address: f"[{address}]", st.ip_addresses(v=6)),
        st.text(alphabet="0123456789abcdefABCDEF:", max_size=45),
        st.text(alphabet="0123:", min_size=2, max_size=20),
    )
)
def test_ipv6_networks_are_those_of_ipaddress(host):
    """The fast /48 (the C library reads the address) answers as ``ipaddress`` does, for
    addresses in every form and for strings of hex digits and colons that are not ones."""
    assert _ipv6_network(host) == _ipv6_network_slow(host.strip("[]"))


def test_registry_country_comes_from_the_shipped_registry_data():
    assert registry_countries(addresses=["8.8.8.8", "10.0.0.1", "not-an-ip"]) == ["US", "??", "??"]


def test_pseudonym_is_an_hmac_of_day_network_and_agent():
    key = bytes(range(32))
    day = dt.date(2024, 3, 4)
    expected = hmac.new(key, b"2024-03-04|203.0.113.0/24|UA", hashlib.sha256).digest()
    got = visitor_pseudonym(key=key, day=day, network="203.0.113.0/24", user_agent="UA")
    assert got == int.from_bytes(expected[:8], "big")
    other = visitor_pseudonym(key=bytes(32), day=day, network="203.0.113.0/24", user_agent="UA")
    assert other != got


@pytest.mark.clause("BE-5")
@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.binary(min_size=0, max_size=140), min_size=1, max_size=4),
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.text(max_size=70), st.text(max_size=140)), max_size=40
    ),
)
def test_compiled_pseudonyms_equal_pythons_hmac(keys, rows):
    """The scanner's HMAC-SHA256 (keys longer than a block, messages across block ends)
    gives the pseudonyms the reference gives."""
    day = dt.date(2024, 3, 4)
    rows = [(at % len(keys), net, agent) for at, net, agent in rows]
    got = visitor_pseudonyms(
        keys=keys,
        key_at=pa.array([at for at, _, _ in rows], pa.int64()),
        days=pa.array(["2024-03-04"] * len(rows), pa.string()),
        networks=pa.array([net for _, net, _ in rows], pa.string()),
        user_agents=pa.array([agent for _, _, agent in rows], pa.string()),
    ).to_pylist()
    expected = [
        visitor_pseudonym(key=keys[at], day=day, network=net, user_agent=agent)
        for at, net, agent in rows
    ]
    assert got == expected


def test_compiled_pseudonyms_take_any_number_of_day_keys():
    """A chunk of a quiet site's old archive can span years: a key per day, no cap."""
    keys = [bytes([k % 256]) * 32 for k in range(5000)]
    at = [4999, 0, 2500]
    got = visitor_pseudonyms(
        keys=keys,
        key_at=pa.array(at, pa.int64()),
        days=pa.array(["2024-03-04"] * 3, pa.string()),
        networks=pa.array(["203.0.113.0/24"] * 3, pa.string()),
        user_agents=pa.array(["UA"] * 3, pa.string()),
    ).to_pylist()
    day = dt.date(2024, 3, 4)
    assert got == [
        visitor_pseudonym(key=keys[k], day=day, network="203.0.113.0/24", user_agent="UA")
        for k in at
    ]


def test_compiled_pseudonyms_refuse_buffers_that_do_not_fit():
    from keepfaith.weblog import _linescan

    offsets = pa.array([0, 3], pa.int32()).buffers()[1]
    with pytest.raises(ValueError, match="out of range"):
        _linescan.pseudonyms((b"k",), pa.array([1], pa.int32()).buffers()[1], offsets, b"abc")
    with pytest.raises(ValueError, match="out of range"):
        _linescan.pseudonyms((b"k",), pa.array([0], pa.int32()).buffers()[1], offsets, b"ab")
    with pytest.raises(ValueError, match="one key index per message"):
        _linescan.pseudonyms((b"k",), b"\x00\x00\x00", offsets, b"abc")


@pytest.mark.clause("BE-5")
def test_analytics_schema_has_no_column_that_identifies_or_joins_to_a_customer(store_config):
    ingest(store_config)
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = 'analytics'"
    ).fetchall()
    con.close()
    assert {table for table, _ in columns} == set(ANALYTICS_TABLES)
    assert [c for c in columns if c[1].lower() in FORBIDDEN_COLUMNS] == []


@pytest.mark.clause("QS-6")
@pytest.mark.clause("BE-5")
def test_raw_addresses_exist_only_in_the_diagnostics_store(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        line(host=KNOWN)
        + line(host=KNOWN_V6, request="GET /missing HTTP/1.1", status=404)
        + line(host=KNOWN, request="GET /files/a.pdf HTTP/1.1"),
        encoding="utf-8",
    )
    ingest(store_config, log)
    analytics = store_config.paths.analytics.read_bytes()
    assert KNOWN.encode() not in analytics
    assert KNOWN_V6.encode() not in analytics
    assert b"Firefox/120.0" not in analytics  # nor the full user agent
    facts = list(store_config.paths.parquet.rglob("*.parquet"))
    assert facts
    for parquet in facts:
        assert KNOWN.encode() not in parquet.read_bytes()
        assert KNOWN_V6.encode() not in parquet.read_bytes()
    diag = raw_hits_connect(store_config.paths)
    stored = {row[0] for row in diag.execute("SELECT address FROM raw_hits").fetchall()}
    diag.close()
    assert stored == {KNOWN, KNOWN_V6}
    assert store_config.paths.diagnostics.stat().st_mode & 0o077 == 0
    raw = store_config.paths.raw_hits
    assert raw.stat().st_mode & 0o077 == 0
    assert all(part.stat().st_mode & 0o077 == 0 for part in raw.rglob("*.parquet"))
    assert any(KNOWN.encode() in part.read_bytes() for part in raw.rglob("*.parquet"))


def _raw_bytes(config) -> bytes:
    """Every byte of the diagnostics store: its file and its raw-request parts."""
    parts = sorted(config.paths.raw_hits.rglob("*")) if config.paths.raw_hits.exists() else []
    files = [config.paths.diagnostics, *(part for part in parts if part.is_file())]
    return b"".join(path.read_bytes() for path in files)


@pytest.mark.feature("logs.raw-ip-retention")
@pytest.mark.clause("QS-6")
def test_purge_removes_raw_addresses_past_retention_from_the_file(store_config, tmp_path, db):
    log = tmp_path / "access.log"
    log.write_text(line(host=KNOWN), encoding="utf-8")
    ingest(store_config, log)
    early = logs_purge(config=store_config, now=NOW)
    assert early.raw_hits_removed == 0
    assert KNOWN.encode() in _raw_bytes(store_config)
    later = logs_purge(config=store_config, now=NOW + dt.timedelta(days=8))
    assert later.raw_hits_removed == 1
    assert KNOWN.encode() not in _raw_bytes(store_config)


@pytest.mark.clause("QS-6")
def test_purge_rewrites_a_part_that_straddles_the_cutoff(store_config, tmp_path, db):
    log = tmp_path / "access.log"
    log.write_text(
        line(host=KNOWN, when="04/Mar/2024:01:00:00 +0000")
        + line(host=KNOWN_V6, when="04/Mar/2024:23:00:00 +0000"),
        encoding="utf-8",
    )
    ingest(store_config, log)
    cutoff = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)
    done = logs_purge(config=store_config, now=cutoff + dt.timedelta(days=7))
    assert done.raw_hits_removed == 1
    hits = diagnostics_hits(paths=store_config.paths, since=cutoff, until=NOW)
    assert [hit.address for hit in hits] == [KNOWN_V6]
    assert KNOWN.encode() not in _raw_bytes(store_config)
    assert KNOWN_V6.encode() in _raw_bytes(store_config)


@pytest.mark.clause("QS-6")
def test_addresses_older_than_the_retention_are_never_stored(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(host=KNOWN, when="01/Jan/2024:10:00:00 +0000"), encoding="utf-8")
    assert ingest(store_config, log).requests == 1
    assert KNOWN.encode() not in _raw_bytes(store_config)


@pytest.mark.clause("BE-5")
def test_day_keys_are_destroyed_when_the_day_closes(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(when="06/Mar/2024:10:00:00 +0000") + line(), encoding="utf-8")
    report = ingest(store_config, log)  # NOW is 2024-03-06: the 4th closed, the 6th is open
    assert report.keys_destroyed == 1
    diag = duckdb.connect(str(store_config.paths.diagnostics), read_only=True)
    days = [row[0].isoformat() for row in diag.execute("SELECT day FROM day_keys").fetchall()]
    diag.close()
    assert days == ["2024-03-06"]


@pytest.mark.clause("QS-6")
def test_administrators_can_read_recent_raw_hits_for_diagnosis(store_config, tmp_path):
    log = tmp_path / "access.log"
    log.write_text(line(host=KNOWN) + line(host=KNOWN_V6, status=500), encoding="utf-8")
    ingest(store_config, log)
    hits = diagnostics_hits(
        paths=store_config.paths, since=NOW - dt.timedelta(days=7), until=NOW, status_from=500
    )
    assert [(hit.address, hit.status) for hit in hits] == [(KNOWN_V6, 500)]


@pytest.mark.clause("QS-6")
@pytest.mark.clause("BE-5")
def test_raw_hits_keep_the_request_line_without_the_secrets_in_its_url(store_config, tmp_path):
    """A reset or unsubscribe link in the diagnostics would still work for whoever reads it:
    the raw parts keep the line as it came, its URL's tokens and references replaced."""
    token = "v1.eyJrIjogIm5ld3NsZXR0ZXIiLCAicyI6ICJLRi1QMEZa.Xk9aQ2b7"
    log = tmp_path / "access.log"
    log.write_text(
        line(request=f"GET /unsubscribe/{token}/ HTTP/1.1")
        + line(request="POST /account/reset/MQ/cz4ab1-0f3e2d1c9b8a7f6e5d4c3b2a19081726/ HTTP/1.1")
        + line(request="GET /account/orders/O-8M19-GP0C/?ref=newsletter HTTP/1.1", status=404)
        + line(request="GET /wp-login.php?action=register HTTP/1.0", status=404)
        + line(request="GET /pay?card=4242424242424242&cvc=123 HTTP/1.1", status=404),
        encoding="utf-8",
    )
    ingest(store_config, log)
    hits = diagnostics_hits(paths=store_config.paths, since=NOW - dt.timedelta(days=7), until=NOW)
    assert sorted(hit.request for hit in hits) == [
        "GET /account/orders/:number/?ref=newsletter HTTP/1.1",
        "GET /pay?card=[card ending 4242]&cvc=*** HTTP/1.1",
        "GET /unsubscribe/:token/ HTTP/1.1",
        "GET /wp-login.php?action=register HTTP/1.0",
        "POST /account/reset/:id/:token/ HTTP/1.1",
    ]


@pytest.mark.clause("QS-6")
def test_a_days_parts_hold_nothing_of_another_day(store_config, tmp_path, db):
    """A chunk that spans two days is written as one part per day; a part's dictionaries hold
    its own day's values only, so a purge of one day leaves none of its text in the next
    day's part (the request line with its query in the raw part, the path in the facts)."""
    log = tmp_path / "access.log"
    log.write_text(
        line(when="03/Mar/2024:10:00:00 +0000", request="GET /only-on-the-third?who=a HTTP/1.1")
        + line(when="04/Mar/2024:10:00:00 +0000", request="GET /on-the-fourth HTTP/1.1"),
        encoding="utf-8",
    )
    ingest(store_config, log)

    def texts(folder, column: str) -> set[str]:
        """Every value the day's parts store for ``column``, its dictionary pages included."""
        found: set[str] = set()
        for part in folder.glob("day=2024-03-04/*.parquet"):
            stored = pq.read_table(part, read_dictionary=[column]).column(column)
            for chunk in stored.chunks:
                found.update(chunk.dictionary.to_pylist())
        return found

    assert texts(store_config.paths.raw_hits, "request") == {"GET /on-the-fourth HTTP/1.1"}
    assert texts(store_config.paths.parquet, "path") == {"/on-the-fourth"}
