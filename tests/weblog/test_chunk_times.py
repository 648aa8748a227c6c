"""A chunk's counts and late requests (``commits.chunk_times``, Arrow kernels) equal the SQL
they replaced, kept here as the oracle: a running maximum over the lines before each one."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.weblog.commits import OUT_OF_ORDER_MINUTES, chunk_times, request_times
from keepfaith.weblog.fastparse import chunk_parse
from keepfaith.weblog.formats import log_format

from .conftest import line

ORACLE = f"""
SELECT count(*), count(ok), count(*) FILTER (WHERE ok + INTERVAL {OUT_OF_ORDER_MINUTES} MINUTE
        < greatest(before, ?::TIMESTAMP)),
    min(ok), max(ok)
FROM (SELECT ok, max(ok) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        AS before
    FROM (SELECT n, CASE WHEN problem IS NULL THEN ts END AS ok FROM parsed))"""

BASE = dt.datetime(2024, 3, 4, 12, 0)
# minutes from BASE, bunched so that the ten-minute slack is crossed both ways and ties occur
OFFSETS = st.integers(min_value=-40, max_value=40)
LINES = st.lists(st.one_of(st.none(), OFFSETS), max_size=60)  # None: a malformed line


def _parsed(lines: list[int | None], seconds: list[int]) -> pa.Table:
    ts = [None if value is None else BASE + dt.timedelta(minutes=value, seconds=second)
          for value, second in zip(lines, seconds[: len(lines)], strict=True)]  # fmt: skip
    return pa.table({
        "n": pa.array(range(len(lines)), pa.int32()),
        # a malformed line may still have a time: only `problem` says it is not a request
        "ts": pa.array([t or BASE for t in ts], pa.timestamp("us")),
        "problem": pa.array([None if v is not None else "not the log format" for v in lines]),
    })  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    lines=LINES,
    seconds=st.lists(st.sampled_from([0, 0, 1, 59]), min_size=60, max_size=60),
    latest=st.one_of(st.none(), OFFSETS),
)
def test_chunk_times_equal_the_sql_they_replaced(lines, seconds, latest):
    parsed = _parsed(lines, seconds)
    last = None if latest is None else BASE + dt.timedelta(minutes=latest)
    con = duckdb.connect()
    con.register("parsed", parsed)
    expected = con.execute(ORACLE, [last]).fetchall()[0]
    con.close()
    found = chunk_times(request_times(parsed), last)
    assert (found.lines, found.good, found.late, found.first_ts, found.last_ts) == expected


def test_a_request_more_than_the_slack_before_an_earlier_one_is_late():
    minutes = [0, 30, 19, 20, None, 25, 5]  # 19 is late (30 - 10 > 19); 20 is just in time
    parsed = _parsed(minutes, [0] * len(minutes))
    times = chunk_times(request_times(parsed))
    assert (times.lines, times.good, times.late) == (7, 6, 2)  # 19 and 5
    assert (times.first_ts, times.last_ts) == (BASE, BASE + dt.timedelta(minutes=30))
    assert chunk_times(request_times(parsed), BASE + dt.timedelta(minutes=60)).late == 6


def test_lines_the_sql_parser_reads_keep_their_place_in_the_chunk():
    """A line with an escaped quote goes to the SQL parser, whose rows come back apart from
    the scanner's: the chunk's rows are still in line order, so the late count is right."""
    chunk = "".join([
        line(when="04/Mar/2024:12:00:00 +0000"),
        line(when="04/Mar/2024:12:30:00 +0000", agent='agent with \\"quotes\\"'),
        line(when="04/Mar/2024:12:10:00 +0000"),  # late: 20 minutes before the line above
    ]).encode()  # fmt: skip
    con = duckdb.connect()
    parsed = chunk_parse(con, chunk, log_format(spec="combined"))
    assert parsed.column("n").to_pylist() == [0, 1, 2]
    assert parsed.column("problem").null_count == 3  # all three read
    expected = con.execute(ORACLE, [None]).fetchall()[0]
    con.close()
    found = chunk_times(request_times(parsed))
    assert (found.lines, found.good, found.late, found.first_ts, found.last_ts) == expected
    assert found.late == 1
