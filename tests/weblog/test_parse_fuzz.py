"""Fuzzing the parsers: the reference never raises, and the SQL parser agrees with it."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.weblog.fastparse import (
    COLUMNS,
    chunk_parse,
    lines_table,
    registered_bounded,
    scan_plan,
    utf8_clean,
)
from keepfaith.weblog.formats import LogFormat, log_format
from keepfaith.weblog.parse import LogRecord, Malformed, log_record
from keepfaith.weblog.sqlparse import parse_sql
from keepfaith.weblog.store import session_cursor

FORMATS = [log_format(spec=name) for name in ("combined", "common", "nginx")] + [
    log_format(spec='%v:%p %h %t "%r" %>s %b'),  # SQL: regex for every line; scanner: a pair
    log_format(spec="vhost_combined"),
    log_format(spec='[%t] %h "%r" %>s %B "%{User-Agent}i"'),
]
TRICKY = st.sampled_from(["", " ", '"', '\\"', "\\", "]", "[", "\t", "-", "é", "\ufffd", "  "])
WORD = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\x00"), max_size=12
)
PIECE = st.one_of(WORD, TRICKY, st.sampled_from(["1.2.3.4", "2001:db8::1", "GET / HTTP/1.1"]))
STAMP = st.sampled_from(
    [
        "04/Mar/2024:10:00:00 +0000",
        "29/Feb/2024:23:59:59 -0130",
        "31/Feb/2024:10:00:00 +0000",
        "04/Mar/2024:10:00:00",
        "4/Mar/2024:1:02:03 +0000",
        "04/mar/2024:10:00:00 +0000",
        "04/Mar/2024:25:00:00 +0000",
        "04/Mar/2024:10:00:00  +0000",
        "x y",
    ]
)


GOOD = {
    "word": st.sampled_from(["203.0.113.5", "-", "bob", "2001:db8::1", "shop.example.com"]),
    "word0": st.sampled_from(["", "?a=b"]),
    "status": st.sampled_from(["200", "404", "500"]),
    "bytes": st.sampled_from(["1234", "-", "0"]),
    "digits": st.sampled_from(["1234", "0", "443"]),
    "time": STAMP,
    "quoted": st.sampled_from(["GET /a?b=c HTTP/1.1", 'Mozilla/5.0 (X11; \\"q\\")', "-", ""]),
    "anyq": st.sampled_from(["a b", ""]),
}


@st.composite
def format_and_lines(draw: st.DrawFn) -> tuple[LogFormat, list[str]]:
    """A format and lines built from its atoms, each value valid or mutated."""
    fmt = draw(st.sampled_from(FORMATS))
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        parts = []
        for atom in fmt.atoms:
            mutate = draw(st.integers(min_value=0, max_value=19)) == 0
            if atom.kind is None:
                parts.append(draw(PIECE) if mutate else atom.text)
            else:
                parts.append(draw(PIECE) if mutate else draw(GOOD[atom.kind]))
        text = "".join(parts)
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
        lines.append(text + draw(st.sampled_from(["", " junk", '"', ' "x"', "\t"])))
    return fmt, lines


def sql_verdicts(fmt: LogFormat, lines: list[str]) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register(
        "chunk_lines",
        pa.table(
            {
                "n": pa.array(range(len(lines)), pa.int32()),
                "line": pa.array(lines, pa.large_string()),
            }
        ),
    )
    con.execute(parse_sql(fmt), {"rx": fmt.regex})
    rows = con.execute(
        "SELECT problem, host, ts, method, target, status, bytes, referrer, user_agent "
        "FROM parsed ORDER BY n"
    ).fetchall()
    con.close()
    return rows


def reference_verdict(fmt: LogFormat, line: str) -> tuple[object, ...]:
    got = log_record(line=line, fmt=fmt)
    if isinstance(got, Malformed):
        return (got.reason,)
    assert isinstance(got, LogRecord)
    when = got.time.astimezone(dt.UTC).replace(tzinfo=None)
    return (
        None,
        got.host,
        when,
        got.method,
        got.target,
        got.status,
        got.bytes,
        got.referrer,
        got.user_agent,
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_the_reference_parser_never_raises(text):
    for fmt in FORMATS:
        assert isinstance(log_record(line=text, fmt=fmt), LogRecord | Malformed)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(format_and_lines())
def test_sql_parser_agrees_with_the_reference(case):
    fmt, lines = case
    lines = [line.replace("\x00", "\ufffd") for line in lines]
    for line, row in zip(lines, sql_verdicts(fmt, lines), strict=True):
        expected = reference_verdict(fmt, line)
        assert (row[0],) + (row[1:] if row[0] is None else ()) == expected, line


def test_well_formed_lines_parse_in_both():
    fmt = log_format(spec="combined")
    line = (
        '203.0.113.5 - bob [04/Mar/2024:10:00:00 +0200] "GET /a?b=c HTTP/1.1" 200 1234 '
        '"https://ref.example/x" "Agent \\"quoted\\" 1.0"'
    )
    expected = reference_verdict(fmt, line)
    assert expected[0] is None
    assert expected[2] == dt.datetime(2024, 3, 4, 8, 0)
    assert sql_verdicts(fmt, [line])[0] == expected


Row = tuple[object, ...]


def parsed_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """``parsed`` by line; a malformed line's fields mean nothing, so only why it is kept."""
    names = ", ".join(COLUMNS)
    rows = con.execute(f"SELECT {names} FROM parsed ORDER BY n").fetchall()
    return [row if row[-1] is None else (row[0], row[1], row[-1]) for row in rows]


def both_parsers(fmt: LogFormat, chunk: bytes) -> tuple[list[Row], list[Row]]:
    """``parsed`` by the scanner (with its deferrals) and by the SQL parser alone."""
    scanner, sql = session_cursor(_DB), session_cursor(_DB)  # each its own temp tables
    try:
        chunk_parse(scanner, chunk, fmt)
        sql.register("chunk_lines", lines_table(utf8_clean(chunk)))
        sql.execute(parse_sql(fmt), {"rx": fmt.regex})
        # the same bounds on both sides: times outside 1970..2200 and overlong fields
        registered_bounded(sql, sql.sql("SELECT * FROM parsed ORDER BY n").to_arrow_table())
        return parsed_rows(scanner), parsed_rows(sql)
    finally:
        scanner.close()
        sql.close()


_DB = duckdb.connect()
_DB.execute("SET TimeZone = 'UTC'")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(format_and_lines())
def test_the_compiled_scanner_agrees_with_the_sql_parser(case):
    fmt, lines = case
    chunk = "".join(line + "\n" for line in lines).encode()
    scanned, expected = both_parsers(fmt, chunk)
    assert scanned == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=20))
def test_the_scanner_takes_any_bytes(pieces):
    """Binary junk, NUL, broken UTF-8, quotes and backslashes: verdicts equal the SQL's."""
    chunk = b"\n".join(piece.replace(b"\n", b" ") for piece in pieces) + b"\n"
    for fmt in FORMATS:
        scanned, expected = both_parsers(fmt, chunk)
        assert scanned == expected


DAY = st.integers(min_value=0, max_value=39).map(lambda d: f"{d:02d}")
CLOCK = st.tuples(*[st.integers(min_value=0, max_value=70)] * 3).map(
    lambda hms: ":".join(f"{part:02d}" for part in hms)
)
MONTH = st.sampled_from(["Jan", "Feb", "Mar", "Apr", "Jun", "Sep", "Dec", "mar", "MAR", "Foo"])
YEAR = st.sampled_from(["2024", "2023", "2000", "1900", "2100", "0999", "1000", "9999"])
ZONE = st.tuples(st.sampled_from("+-"), st.integers(min_value=0, max_value=2400)).map(
    lambda zone: f"{zone[0]}{zone[1]:04d}"
)


@settings(max_examples=200, deadline=None)
@given(DAY, MONTH, YEAR, CLOCK, ZONE)
def test_the_scanners_clock_agrees_with_duckdb(day, month, year, clock, zone):
    """Times the scanner reads itself are read as DuckDB's strptime reads them."""
    fmt = log_format(spec="common")
    stamp = f"{day}/{month}/{year}:{clock} {zone}"
    line = f'203.0.113.5 - - [{stamp}] "GET / HTTP/1.1" 200 5\n'
    scanned, expected = both_parsers(fmt, line.encode())
    assert scanned == expected, stamp


def test_the_scanner_is_built_and_used():
    """The compiled scanner is installed (``make install`` builds it), and reads the presets."""
    from keepfaith.weblog import _linescan

    assert callable(_linescan.scan)
    for name in ("combined", "common", "nginx", "vhost_combined"):
        assert scan_plan(log_format(spec=name)) is not None, name


def test_a_vhost_and_port_pair_splits_where_the_regex_does():
    """``%v:%p`` in one piece: the scanner splits at the last ':' (a port has none)."""
    fmt = log_format(spec="vhost_combined")
    rest = '203.0.113.5 - - [04/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "UA"'
    pieces = ["shop.example:443", "2001:db8::1:8080", "a:b:c:80", "host:", ":80", "host:8o", "h"]
    chunk = "".join(f"{piece} {rest}\n" for piece in pieces).encode()
    scanned, expected = both_parsers(fmt, chunk)
    assert scanned == expected
    assert [row[-1] for row in scanned] == [None, None, None] + ["not the log format"] * 4
    assert [row[11] for row in scanned[:3]] == ["shop.example", "2001:db8::1", "a:b:c"]
