"""Every regular expression that sees visitor-controlled text runs in linear time (issue 15.2,
outside the web-log package): log lines (card scrubbing), cookie values (the cookie guard),
received mail (headers, bodies, opt-out words), cookie and token values.

Work is counted, not timed: ``tests/regexsteps.py`` runs each pattern on a backtracking VM
that counts instructions, on hostile inputs of 8 KB and 100 KB. Linear work means the same
count per character at both sizes. The VM is checked against ``re`` itself (hypothesis: same
matches) and against patterns known to be quadratic (it must report them so).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith import urlsecrets
from keepfaith.comms import inbound, mailtext, optout, unsubscribe
from keepfaith.cookies import choice, guard
from keepfaith.vault import scrub
from tests.regexsteps import finditer_spans, match_end

Family = Callable[[int], str]  # n characters of hostile text

SEARCH, MATCH, FULL = "search", "match", "fullmatch"


def rep(unit: str, tail: str = "") -> Family:
    return lambda n: (unit * (n // len(unit) + 1))[:n] + tail


# (name, pattern, how it is used, hostile inputs)
PATTERNS: list[tuple[str, re.Pattern[str], str, list[Family]]] = [
    ("url in text", urlsecrets._URL_IN_TEXT, SEARCH, [rep("/"), rep("/a"), rep("/ "), rep("//#")]),
    ("url query value", urlsecrets._QUERY_VALUE, SEARCH, [rep("="), rep("=a"), rep("=&")]),
    ("url reference", urlsecrets._REFERENCE, FULL,
     [rep("KF-"), rep("O-1234-"), rep("A"), rep("DSR-1234567890")]),
    ("url alnum run", urlsecrets._ALNUM_RUN, SEARCH, [rep("a1"), rep("a-"), rep("-")]),
    ("reference in text", urlsecrets._REFERENCE_IN_TEXT, SEARCH,
     [rep("KF-"), rep("O-1234-"), rep("A"), rep("DSR-1234567890"), rep("O-AAAA ")]),
    ("scrub card", scrub._CARD_LIKE, SEARCH,
     [rep("1"), rep("1 "), rep("4+"), rep("1%20"), rep("12-"), rep("4242 4242 4242 424")]),
    ("scrub security code", scrub._SECURITY_CODE, SEARCH,
     [rep("cvc "), rep("cvc="), rep("cvc: \"1"), rep("security code ="), rep(" ")]),
    ("guard e-mail", guard._EMAIL_RE, SEARCH,
     [rep("a"), rep("a@"), rep("a@a."), rep("@"), rep("a@b.c"), rep("a.")]),
    ("guard card", guard._CARD_RE, SEARCH, [rep("1"), rep("1."), rep("1 -")]),
    ("mail encoded word", mailtext._ENCODED_WORD, SEARCH,
     [rep("=?"), rep("=?a"), rep("=?a?q?"), rep("=?a?Q?b"), rep("?=")]),
    ("mail between words", mailtext._BETWEEN_WORDS, SEARCH, [rep("?= "), rep(" "), rep("?=\t=")]),
    ("mail fold", mailtext._FOLD, SEARCH, [rep("\r\n\t"), rep("\r"), rep(" ")]),
    ("mail spaces", mailtext._SPACES, SEARCH, [rep(" "), rep(" a")]),
    ("mail local part", inbound._LOCAL_FORBIDDEN, SEARCH, [rep("a")]),
    ("mail domain", inbound._DOMAIN, FULL, [rep("a.", "!"), rep("a-", "."), rep("a", "..")]),
    ("mail auto-reply subject", inbound._AUTO_REPLY_SUBJECT, SEARCH,
     [rep("out of "), rep("auto"), rep("away from the "), rep("a"), rep("ferie ")]),
    ("opt-out reply header", optout._REPLY_HEADER, MATCH,
     [rep("on "), rep("den x skrev"), rep("-"), rep("_"), rep("from: "), rep("on x wrote")]),
    ("opt-out clause split", optout._CLAUSE_SPLIT, SEARCH, [rep("."), rep(" but"), rep(" ")]),
    ("opt-out subject prefix", optout._SUBJECT_PREFIX, MATCH,
     [rep("re:"), rep("re", " "), rep("re: "), rep("r")]),
    ("opt-out words en", optout._OPT_OUT["en"], SEARCH,
     [rep("a"), rep("don"), rep("not "), rep("opt-")]),
    ("opt-out words da", optout._OPT_OUT["da"], SEARCH,
     [rep("ikke "), rep("ikke længere "), rep("nej")]),
    ("opt-out all", optout._ALL["en"], SEARCH, [rep("all "), rep("any more ")]),
    ("opt-out rights", optout._RIGHTS["da"], SEARCH, [rep("slet alle "), rep("slet mine ")]),
    ("cookie purpose", choice._PURPOSE_RE, FULL, [rep("a.", "!"), rep("a_"), rep("a", ".")]),
    ("cookie version", choice._VERSION_RE, FULL, [rep("a")]),
    ("cookie campaign", choice._CAMPAIGN_RE, FULL, [rep("a-")]),
    ("unsubscribe token", unsubscribe._BASE64URL, FULL, [rep("a", "!")]),
    ("unsubscribe uri", unsubscribe._URI_FORBIDDEN, SEARCH, [rep("a")]),
]  # fmt: skip

SMALL, LARGE = 8 * 1024, 100 * 1024


def steps(pattern: re.Pattern[str], mode: str, text: str) -> int:
    if mode == SEARCH:
        return finditer_spans(pattern, text)[1]
    return match_end(pattern, text, full=mode == FULL)[1]


CASES = [
    pytest.param(pattern, mode, family, id=f"{name}-{i}")
    for name, pattern, mode, families in PATTERNS
    for i, family in enumerate(families)
]


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(("pattern", "mode", "family"), CASES)
def test_work_per_character_is_the_same_at_8_kb_and_100_kb(pattern, mode, family):
    small, large = family(SMALL), family(LARGE)
    per_char_small = steps(pattern, mode, small) / len(small)
    per_char_large = steps(pattern, mode, large) / len(large)
    assert per_char_large <= per_char_small * 1.1 + 0.01, (per_char_small, per_char_large)
    assert per_char_large < 500  # a constant, and a small one


SUPERLINEAR = [
    (re.compile(r"<[^>]*>"), rep("<"), 256),  # the old fallback tag stripper of mailtext
    (re.compile(r"[^\s@\"';,<>]+@[^\s@\"';,<>]+\.[A-Za-z]{2,}"), rep("a"), 256),  # old guard
    (re.compile(r"(a+)+b"), rep("a"), 8),  # textbook nested repeat (exponential)
]


@pytest.mark.parametrize(("pattern", "family", "size"), SUPERLINEAR)
def test_the_counter_reports_a_known_superlinear_pattern(pattern, family, size):
    """The method can fail: a pattern known to be super-linear is reported as such."""
    small, large = family(size), family(2 * size)
    per_char_small = steps(pattern, SEARCH, small) / len(small)
    per_char_large = steps(pattern, SEARCH, large) / len(large)
    assert per_char_large > 1.8 * per_char_small  # linear work would keep it at 1x


def _alphabet(pattern: re.Pattern[str]) -> str:
    """Characters that exercise the pattern: its own literal characters and a few others."""
    own = {c for c in pattern.pattern if c.isprintable() and c not in "\\()[]{}?*+|^$"}
    return "".join(sorted(own | set("a1 .@:-=?\n\tZ<>\"'%2é0")))


@pytest.mark.parametrize(
    ("pattern", "mode"), [pytest.param(p, m, id=name) for name, p, m, _ in PATTERNS]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_counter_finds_what_re_finds(pattern, mode, data):
    text = data.draw(st.text(st.sampled_from(_alphabet(pattern)), max_size=60))
    if mode == SEARCH:
        assert finditer_spans(pattern, text)[0] == [m.span() for m in pattern.finditer(text)]
    elif mode == MATCH:
        found = pattern.match(text)
        assert match_end(pattern, text)[0] == (found.end() if found else None)
    else:
        found = pattern.fullmatch(text)
        assert match_end(pattern, text, full=True)[0] == (found.end() if found else None)


VISITOR_TEXT = st.text(st.sampled_from("0123456789 +-%20.@abcxyz=:\"'<>;,/?&é\n"), max_size=300)


@pytest.mark.clause("QS-5")
@settings(max_examples=300, deadline=None)
@given(text=VISITOR_TEXT)
def test_scrubbed_text_holds_no_card_number_the_scrubber_knows(text):
    from keepfaith.cardcheck import luhn_valid

    scrubbed = scrub.scrub_card_data(text)
    for match in scrub._CARD_LIKE.finditer(scrubbed):
        digits = scrub._SEPARATORS.sub("", match.group(0))
        assert not luhn_valid(digits), (text, scrubbed)
    assert scrub.scrub_card_data(scrubbed) == scrubbed  # nothing left to mask


@settings(max_examples=300, deadline=None)
@given(text=VISITOR_TEXT, local=st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_the_cookie_guard_reads_any_value_and_finds_an_address_in_it(text, local):
    guard.value_reason(text)  # never raises
    assert guard.value_reason(f"{text};{local}@shop.example;{text}") is not None
