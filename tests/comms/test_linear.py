"""Reading received mail takes work linear in its size, whatever it holds (issue 15.2):
counted, not timed, at 8 KB and 100 KB: Python and C function calls (``sys.setprofile``),
plus, for the HTML scanner, every character its ``str.find`` calls pass over.

Before: the stdlib ``HTMLParser`` took about 45 s on 160 KB of ``<a`` (quadratic; measured
by hand once: its extra work is inside C regex scans, which a call count does not see, so
these tests guard the scanner that replaced it, not the one before), and the stdlib header
parser grew faster than linearly on thousands of encoded words (now read from the first
``MAX_HEADER_CHARS`` only).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from keepfaith.comms.inbound import MAX_HEADER_CHARS, parse_inbound
from keepfaith.comms.mailtext import html_to_text

SMALL, LARGE = 8 * 1024, 100 * 1024


def calls(work: Callable[[], object]) -> int:
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


class ScanCountingStr(str):
    """A ``str`` that counts the characters its ``find`` calls pass over."""

    scanned = 0

    def find(self, sub: str, start: object = None, end: object = None) -> int:  # type: ignore[override]
        begin = 0 if start is None else int(start)  # type: ignore[call-overload]
        found = super().find(sub, begin) if end is None else super().find(sub, begin, end)  # type: ignore[arg-type]
        ScanCountingStr.scanned += (len(self) if found < 0 else found + len(sub)) - begin
        return found


def html_work(markup: str) -> int:
    ScanCountingStr.scanned = 0
    counted = ScanCountingStr(markup)
    return calls(lambda: html_to_text(counted)) + ScanCountingStr.scanned


def rep(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def _per_char(work: Callable[[str], object], make: Callable[[int], str]) -> tuple[float, float]:
    small, large = make(SMALL), make(LARGE)
    return calls(lambda: work(small)) / len(small), calls(lambda: work(large)) / len(large)


HTML = ["<a", "</", "<", "<!", "<?", "<![CDATA[", "<a ", "<!--", "&amp;", "<p>x</p>",
        "<style>a>b{}", "<a b='>"]  # fmt: skip


@pytest.mark.parametrize("unit", HTML)
def test_html_bodies_are_read_in_linear_work(unit):
    small, large = rep(unit)(SMALL), rep(unit)(LARGE)
    per_small, per_large = html_work(small) / len(small), html_work(large) / len(large)
    assert per_large <= per_small * 1.1 + 0.01, (per_small, per_large)


def _message(header: str) -> Callable[[str], object]:
    def parse(value: str) -> object:
        raw = f"{header}: {value}\r\nTo: unsubscribe@shop.example\r\n\r\nstop\r\n"
        return parse_inbound(raw.encode("utf-8", "surrogateescape"))

    return parse


HEADERS = [
    ("Subject", "=?utf-8?q?a?= "),
    ("From", "a,"),
    ("From", "<"),
    ("From", "("),
    ("From", '"\\a'),
    ("To", "a "),
    ("Subject", "=?x?"),
    ("From", "x@a."),
]


@pytest.mark.parametrize(("header", "unit"), HEADERS)
def test_a_long_hostile_header_costs_no_more_than_its_first_part(header, unit):
    """Per character the work falls: only the first MAX_HEADER_CHARS are parsed."""
    per_small, per_large = _per_char(_message(header), rep(unit))
    assert per_large <= per_small * 1.1 + 0.01, (per_small, per_large)


def test_the_shortened_header_is_named_in_the_defects():
    parsed = parse_inbound(f"Subject: {'x' * (MAX_HEADER_CHARS + 10)}\r\n\r\nbody\r\n".encode())
    assert f"header Subject read from its first {MAX_HEADER_CHARS} characters" in parsed.defects
    assert len(parsed.subject) == MAX_HEADER_CHARS
