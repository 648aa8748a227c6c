"""Host names in the host field (``HostnameLookups On``): one visitor per distinct name and
day, country unknown, and no name outside the diagnostics store (BE-5, QS-6; issue 19,
defect 3). The log mixing names and addresses is generated here."""

from __future__ import annotations

import ipaddress
import random
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from keepfaith.weblog.store import raw_hits_connect

from .conftest import ingest, line

pytestmark = [pytest.mark.clause("BE-5"), pytest.mark.clause("QS-6")]
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def mixed_log(path: Path) -> list[tuple[str, str]]:
    """Write a log of names and addresses over two days; return (day, host) of each line."""
    rng = random.Random(19)
    names = [f"dsl-{n}.pool.example.net" for n in range(12)]  # one parent domain
    names += ["mail.example.org", "Host-7.Example.ORG.", "gw.kunde.example.de", "localhost"]
    addresses = ["203.0.113.5", "203.0.113.77", "198.51.100.9", "2001:db8:1:2::7"]
    seen, lines = [], []
    for n in range(400):
        day = 4 + n // 200
        host = rng.choice(names + addresses)
        stamp = f"{day:02d}/Mar/2024:{(n % 200) // 10:02d}:{n % 60:02d}:00 +0000"
        lines.append(line(host=host, when=stamp, agent=AGENT))
        seen.append((f"2024-03-{day:02d}", host))
    path.write_text("".join(lines), encoding="utf-8")
    return seen


def expected_visitors(seen: list[tuple[str, str]]) -> dict[str, int]:
    """Per day: each distinct name (case and final dot aside) and each /24 or /48 network."""
    keys: dict[str, set[str]] = defaultdict(set)
    for day, host in seen:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            keys[day].add(host.lower().rstrip("."))
            continue
        prefix = 24 if address.version == 4 else 48
        keys[day].add(str(ipaddress.ip_network(f"{host}/{prefix}", strict=False)))
    return {day: len(found) for day, found in keys.items()}


def test_each_name_is_one_visitor_per_day_with_an_unknown_country(store_config, tmp_path):
    log = tmp_path / "access.log"
    seen = mixed_log(log)
    assert ingest(store_config, log).requests == 400
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    try:
        daily = dict(con.execute("SELECT day::VARCHAR, visitors FROM traffic_daily").fetchall())
        countries = dict(con.execute(
            "SELECT value, sum(requests) FROM dimension_counts WHERE dimension = 'country' "
            "GROUP BY 1").fetchall())  # fmt: skip
    finally:
        con.close()
    assert daily == expected_visitors(seen)
    named = sum(1 for _, host in seen if not host[0].isdigit() and ":" not in host)
    assert countries["??"] >= named  # the documentation addresses have no registry country


def test_no_name_is_kept_outside_the_diagnostics_store(store_config, tmp_path):
    log = tmp_path / "access.log"
    seen = mixed_log(log)
    ingest(store_config, log)
    root = store_config.paths.root
    private = {store_config.paths.diagnostics, store_config.paths.raw_hits}
    outside = [
        found
        for found in root.rglob("*")
        if found.is_file() and not any(found == p or p in found.parents for p in private)
    ]
    assert outside, "the analytics store holds files"
    names = {host.rstrip(".") for _, host in seen if not host[0].isdigit() and ":" not in host}
    for found in outside:
        data = found.read_bytes().lower()
        for name in names:  # whole names: two letters can occur in any binary file
            assert name.lower().encode() not in data, (found, name)
    # Parquet pages are compressed: read every value back too, not only the bytes.
    con = duckdb.connect(str(store_config.paths.analytics), read_only=True)
    try:
        values = repr(con.execute(
            "SELECT * FROM read_parquet(?, union_by_name = true)",
            [str(store_config.paths.parquet / "**" / "*.parquet")]).fetchall())  # fmt: skip
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            values += repr(con.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        con.close()
    assert "2001:db8" not in values and "dsl-3" not in values.lower()
    assert not [name for name in names if name.lower() in values.lower()]
    con = raw_hits_connect(store_config.paths)
    try:  # the diagnostics store keeps each request's host as written, for diagnosis
        kept = {row[0] for row in con.execute("SELECT DISTINCT address FROM raw_hits").fetchall()}
    finally:
        con.close()
    assert kept == {host for _, host in seen}
