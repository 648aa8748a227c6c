"""Visitor-controlled text is matched in linear time (BE-5, QS-6; issue 15, item 2).

The work is counted, not timed: every regex engine call on a user agent goes through a
counting wrapper that adds the RE2 program size times the characters handed to it (RE2's
bound: its matching visits each character with at most one state per instruction), and
ua-parser's Rust extractors add the characters handed to them. An 8 KB and a 100 KB agent
(and n against 2n) must cost the same calls and characters in proportion to their length.
The engine behind each pattern is checked too: only RE2 (or the Rust matcher) has that bound.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import re2
import ua_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.vault.scrub import scrub_card_data
from keepfaith.weblog import bots, parse, privacy, useragents
from keepfaith.weblog.fastparse import chunk_parse
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.parse import LogRecord, log_record, redacted_excerpt

from .conftest import ingest, line

WEBLOG = Path(bots.__file__).parent
# Modules whose regexes see only the operator's configuration (the log format string).
CONFIGURATION_ONLY = {"formats.py"}
SIZES = (8 * 1024, 16 * 1024, 100 * 1024, 200 * 1024)


@dataclass
class Work:
    calls: int = 0
    units: int = 0  # RE2: program size x characters; Rust extractors: characters


class CountingPattern:
    """An RE2 pattern that adds its work bound to ``work`` on each call."""

    def __init__(self, pattern: Any, work: Work) -> None:
        assert isinstance(pattern, re2._Regexp), f"{pattern!r} is not RE2"
        self.pattern, self.work = pattern, work

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pattern, name)

        def counted(text: str, *args: Any, **kwargs: Any) -> Any:
            self.work.calls += 1
            self.work.units += self.pattern.programsize * len(text)
            return method(text, *args, **kwargs)

        return counted


class CountingExtractor:
    """One of ua-parser's Rust extractors, adding the characters it is handed."""

    def __init__(self, extractor: Any, work: Work) -> None:
        self.extractor, self.work = extractor, work

    def extract(self, text: str) -> Any:
        self.work.calls += 1
        self.work.units += len(text)
        return self.extractor.extract(text)


@pytest.fixture
def counted(monkeypatch) -> Iterator[Work]:
    """Count every engine call the agent path makes (caches cleared: no call is skipped)."""
    work = Work()
    monkeypatch.setattr(bots, "_SELF_NAMED", CountingPattern(bots._SELF_NAMED, work))
    rules = useragents.rules()
    rust_kind: Any = ua_parser.RegexResolver
    for rust in (rules.families, rules.later_spiders, rules.all_devices()):
        assert isinstance(rust, rust_kind), "ua-parser is not on its Rust matcher"
        for name in ("ua", "os", "de"):
            monkeypatch.setattr(rust, name, CountingExtractor(getattr(rust, name), work))
    useragents.agent_families.cache_clear()
    yield work
    useragents.agent_families.cache_clear()


def hostile_agent(size: int) -> str:
    """A worst case for the old pattern: a long run of its class with no keyword."""
    head = "Mozilla/5.0 (X11; Linux x86_64) "
    return head + "a" * (size - len(head))


def agent_work(work: Work, agent: str) -> tuple[int, int]:
    before = (work.calls, work.units)
    useragents.agent_families.cache_clear()
    useragents.agent_families(user_agent=agent)
    return work.calls - before[0], work.units - before[1]


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-6")
def test_work_on_8kb_and_100kb_agents_grows_linearly(counted):
    per_size = {size: agent_work(counted, hostile_agent(size)) for size in SIZES}
    calls = {got[0] for got in per_size.values()}
    # the crawler search, three extractors and the later crawler rules
    assert len(calls) == 1 and calls.pop() >= 5
    small, large = per_size[8 * 1024][1], per_size[100 * 1024][1]
    assert large <= small * (100 / 8) * 1.01
    for size in (8 * 1024, 100 * 1024):  # n against 2n: twice the text, twice the work
        assert per_size[2 * size][1] <= 2 * per_size[size][1]
    # The count is real work: each character passed through each engine.
    assert small >= 5 * 8 * 1024


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-6")
def test_a_crawler_named_deep_inside_a_huge_agent_is_found_with_linear_work(counted):
    agent = "x" * 100_000 + " SneakyBot/1.0"
    assert useragents.agent_families(user_agent=agent).crawler == "SneakyBot"
    assert counted.units <= bots._SELF_NAMED.pattern.programsize * len(agent) * 2 + 4 * len(agent)
    long_name = "Bot" + "a" * 100_000  # one run of the name's characters
    assert bots.crawler_name(user_agent=long_name) == long_name[: bots.NAME_MAX]


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-6")
def test_every_pattern_on_visitor_text_is_re2_and_re_sees_only_configuration():
    for source in sorted(WEBLOG.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imports = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        if source.name not in CONFIGURATION_ONLY:
            assert "re" not in imports, f"{source.name} uses Python's backtracking re"
    for pattern in (bots._SELF_NAMED, parse._REQUEST, parse._ADDRESSY, privacy._HOST_LABEL):
        assert isinstance(pattern, re2._Regexp)
    for spec in ("common", "combined", "vhost_combined", "nginx"):
        assert isinstance(parse._compiled(log_format(spec=spec).regex), re2._Regexp)


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-6")
def test_lines_with_8kb_and_100kb_agents_are_ingested(store_config, tmp_path):
    import duckdb

    log = tmp_path / "access.log"
    agents = [hostile_agent(8 * 1024), hostile_agent(100 * 1024), "Crawl" + "z" * 100_000]
    log.write_text("".join(line(agent=agent) for agent in agents), encoding="utf-8")
    report = ingest(store_config, log)
    assert (report.requests, report.malformed) == (3, 0)
    con = duckdb.connect()
    rows = con.execute(
        "SELECT crawler, browser FROM read_parquet(?) ORDER BY crawler NULLS FIRST",
        [str(store_config.paths.parquet / "*" / "*.parquet")],
    ).fetchall()
    assert rows == [(None, "Other"), (None, "Other"), ("Crawl" + "z" * 35, "Crawl" + "z" * 35)]


def old_crawler_name(agent: str, device_family: str | None = None) -> str | None:
    """The Python ``re`` original (same pattern), for short texts only."""
    agent = agent.strip()
    if agent in ("", "-"):
        return None
    match = re.search(bots.SELF_NAMED, agent)
    if match:
        return match.group(0).strip("+-_.;").split("/")[0][: bots.NAME_MAX] or "crawler"
    if device_family == "Spider":
        return agent.split("/")[0][: bots.NAME_MAX] or "crawler"
    return None


AGENTISH = st.text(
    alphabet=st.sampled_from("aAbBoOtTcrwlspidSLUPx/;()+-_. 0129é\t"), max_size=60
) | st.sampled_from(["Googlebot/2.1", "curl/8.0", "python-requests/2", "Java/17", "-", ""])


@pytest.mark.clause("BE-5")
@settings(max_examples=400, deadline=None)
@given(agent=AGENTISH, spider=st.booleans())
def test_the_re2_crawler_search_means_what_the_re_one_did(agent, spider):
    device = "Spider" if spider else None
    assert bots.crawler_name(user_agent=agent, device_family=device) == old_crawler_name(
        agent, device
    )


@pytest.mark.clause("BE-5")
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789abcdefABCXYZ:. -[]"), max_size=80))
def test_masking_and_host_labels_mean_what_the_re_ones_did(text):
    carded = scrub_card_data("[host] " + text)  # card numbers first: they hold no address
    old = re.sub(r"[0-9A-Fa-f:.]*[0-9A-Fa-f][.:][0-9A-Fa-f:.]*", "[address]", carded)
    assert redacted_excerpt(line="h " + text, limit=400) == old
    for label in text.split("."):
        same = re.fullmatch(r"[A-Za-z0-9-]{1,63}", label) is not None
        assert (privacy._HOST_LABEL.fullmatch(label) is not None) is same


LINE_PIECES = st.sampled_from(
    [
        *('"', " ", "-", "[", "]", "\\", "GET / HTTP/1.1", "200", "04/Mar/2024:10:00:00 +0000"),
        *("198.51.100.7", "example.org:443", "abc", "Mozilla/5.0 (X11)", "é"),
    ]
)


@pytest.mark.clause("BE-5")
@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(LINE_PIECES, max_size=24), spec=st.sampled_from(["common", "combined"]))
def test_the_reference_parser_on_re2_agrees_with_re(pieces, spec):
    text = "".join(pieces)
    fmt = log_format(spec=spec)
    old = re.match(fmt.regex, text)
    new = parse._compiled(fmt.regex).match(text)
    assert (new is None) is (old is None)
    if old is not None:
        assert new.groups() == old.groups()
        assert isinstance(log_record(line=text, fmt=fmt), LogRecord | parse.Malformed)


@pytest.mark.clause("BE-5")
@settings(max_examples=60, deadline=None)
@given(agent=st.text(max_size=2000), path=st.text(max_size=300), referrer=st.text(max_size=300))
def test_any_agent_path_and_referrer_parse_without_error(agent, path, referrer):
    import duckdb

    text = line(request=f"GET {path or '/'} HTTP/1.1", referrer=referrer, agent=agent)
    useragents.agent_families(user_agent=agent.replace("\n", " "))
    con = duckdb.connect()
    try:
        parsed = chunk_parse(con, text.encode("utf-8"), log_format(spec="combined"))
    finally:
        con.close()
    assert parsed.num_rows >= 1


@pytest.mark.clause("BE-5")
@pytest.mark.clause("QS-5")
def test_a_malformed_line_shown_in_a_report_keeps_no_card_mail_address_reference_or_token():
    """The samples of malformed lines land in cron mail and the journal: a log."""
    line = (
        "junk card 4000 0000 0000 9995 from alice@example.com KF-P0FZC-7J2RT "
        '"GET /pay?card=4242424242424242&cvc=123 HTTP/1.1" '
        "/unsubscribe/v1.eyJrIjogIm5ld3NsZXR0ZXIiLCAicyI6ICJLRi1QMEZa.Xk9aQ2b7/"
    )
    shown = redacted_excerpt(line=line, limit=400)
    for secret in ("4000 0000 0000", "4242424242424242", "cvc=123", "alice@", "example.com",
                   "KF-P0FZC", "eyJr"):  # fmt: skip
        assert secret not in shown
    assert "[card ending 9995]" in shown and "[e-mail]" in shown and ":number" in shown
