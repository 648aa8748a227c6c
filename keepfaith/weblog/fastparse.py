"""A chunk of log lines parsed by the compiled split plan, as the Arrow table ``parsed``.

:mod:`keepfaith.weblog.sqlparse` states the split plan in SQL; ``_linescan.c`` runs the same
plan in one pass over the chunk's bytes, about ten times cheaper per line, and builds the
columns straight into Arrow buffers. A line the scanner cannot decide exactly as the SQL
would (a backslash, a time outside the strict ``DD/Mon/YYYY:HH:MM:SS +HHMM`` shape) is
deferred to the SQL parser, and a format without a split plan goes to it whole.
``tests/weblog/test_parse_fuzz.py`` checks, with hypothesis, that both give the same table.
"""

from __future__ import annotations

import functools
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from keepfaith.weblog import _linescan
from keepfaith.weblog.formats import (
    ANYQ,
    BYTES,
    DIGITS,
    QUOTED,
    STATUS,
    TIME,
    WORD,
    WORD0,
    Atom,
    LogFormat,
)
from keepfaith.weblog.parse import BAD_DATE, END_TIME, FIRST_TIME, MAX_FIELD_CHARS, TOO_LONG
from keepfaith.weblog.sqlparse import format_segments, parse_sql

_KINDS = {WORD: 1, WORD0: 2, STATUS: 3, BYTES: 4, DIGITS: 5, TIME: 6, QUOTED: 7, ANYQ: 7}
_STRINGS = ("host", "request", "referrer", "user_agent", "vhost")  # copied out as text
# The scanner's verdict codes, as ``problem``: 0 is a request, 3 goes to the SQL parser.
_DEFER = "deferred to the SQL parser"
_PROBLEMS = pa.array([None, "not the log format", "bad request line", _DEFER], pa.string())
COLUMNS: tuple[str, ...] = ("n", "line", "host", "ts", "method", "target", "request", "status")
COLUMNS += ("bytes", "referrer", "user_agent", "vhost", "problem")
ScanPlan = tuple[Any, ...]


def _piece_plan(piece: list[Atom], index: dict[str, int]) -> tuple[Any, ...] | None:
    """One piece for the scanner: (kind, field, prefix, suffix, kind2, field2, separator)."""
    tokens = [at for at, atom in enumerate(piece) if atom.kind is not None]
    if not tokens:
        return (0, -1, "".join(atom.text for atom in piece).encode(), b"", 0, -1, b"")

    def field(atom: Atom) -> int:
        return index[atom.field] if atom.field else -1

    first, last = tokens[0], tokens[-1]
    prefix = "".join(atom.text for atom in piece[:first]).encode()
    suffix = "".join(atom.text for atom in piece[last + 1 :]).encode()
    head = piece[first]
    if len(tokens) == 1:
        return (_KINDS[str(head.kind)], field(head), prefix, suffix, 0, -1, b"")
    # A pair (``%v:%p``): the second token is digits (or '-') and the separator has none of
    # those, so the regex can only split at the separator's last occurrence.
    tail = piece[last]
    separator = "".join(atom.text for atom in piece[first + 1 : last])
    if (
        len(tokens) != 2
        or head.kind not in (WORD, WORD0)
        or tail.kind not in (DIGITS, STATUS, BYTES)
        or not separator
        or any(char in separator for char in "0123456789-")
    ):
        return None
    pair = (_KINDS[str(tail.kind)], field(tail), separator.encode())
    return (_KINDS[str(head.kind)], field(head), prefix, suffix, *pair)


@functools.lru_cache(maxsize=32)
def scan_plan(fmt: LogFormat) -> ScanPlan | None:
    """The format as the scanner's plan, or None when only the SQL parser can read it.

    The plan is the split plan of :func:`keepfaith.weblog.sqlparse.split_plan_sql`, plus
    pieces holding a pair such as ``%v:%p``, which the SQL plan leaves to the regex.
    """
    segments = format_segments(fmt.atoms)
    if len(segments) % 2 == 0 or not all(atom.text.isascii() for atom in fmt.atoms):
        return None
    index = {name: i for i, name in enumerate(fmt.fields)}
    planned = []
    for seg in segments:
        pieces = []
        for piece in seg.pieces:
            kinds = [atom.kind for atom in piece if atom.kind is not None]
            if seg.quoted and kinds and (len(piece) != 1 or kinds[0] == TIME):
                return None
            if (not seg.quoted and ANYQ in kinds) or (TIME in kinds and len(kinds) > 1):
                return None
            got = _piece_plan(piece, index)
            if got is None:
                return None
            pieces.append(got)
        planned.append((seg.quoted, tuple(pieces)))
    times = [atom.field for atom in fmt.atoms if atom.kind == TIME]
    if times[:1] != ["time"]:
        return None
    wanted = tuple(name in _STRINGS for name in fmt.fields)
    fields = [index.get(name, -1) for name in ("time", "request", "status", "bytes")]
    return (tuple(planned), len(fmt.fields), *fields, wanted)


def utf8_clean(chunk: bytes) -> bytes:
    """The chunk as valid UTF-8 without NUL: other bytes become U+FFFD, as the SQL path does."""
    if b"\0" not in chunk:
        if chunk.isascii():
            return chunk
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return chunk
    text = chunk.decode("utf-8", "replace").replace("\0", "\N{REPLACEMENT CHARACTER}")
    return text.encode("utf-8")


_ROWS = pa.array([], pa.int32())
ROWS_KEPT = 1 << 18  # lines; a chunk of more (lines of 16 bytes or less) gets its own array


def row_numbers(n: int) -> pa.Array:
    """0 .. n - 1 as int32: a slice of one array kept for the process, grown when a chunk
    has more lines. Built from a Python ``range`` per chunk, it held the GIL 2 ms a chunk,
    while the other worker waited for it (docs/weblog.md, "Speed")."""
    global _ROWS
    rows = _ROWS
    if n > len(rows):
        if n > ROWS_KEPT:
            return pa.array(range(n), pa.int32())
        rows = _ROWS = pa.array(range(min(max(n, 2 * len(rows)), ROWS_KEPT)), pa.int32())
    return rows.slice(0, n)


def _strings(n: int, offsets: bytes, data: bytes) -> pa.Array:
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _lines_of(chunk: bytes, starts: memoryview, rows: list[int]) -> list[str]:
    return [chunk[starts[row] : starts[row + 1] - 1].decode("utf-8") for row in rows]


def scanned_table(chunk: bytes, plan: ScanPlan, fmt: LogFormat) -> tuple[pa.Table, pa.Table | None]:
    """The chunk (complete lines, valid UTF-8) scanned: the columns of ``parsed``, and the
    lines (n, line) deferred to the SQL parser, whose rows in the table are placeholders."""
    n, problems, line_starts, ts, ok, status, sizes, sized, columns = _linescan.scan(chunk, plan)
    starts = memoryview(line_starts).cast("i")
    codes = pa.Array.from_buffers(pa.uint8(), n, [None, pa.py_buffer(problems)])
    texts = dict(zip([name for name in fmt.fields if name in _STRINGS], columns, strict=False))
    method, target = columns[-2:]
    line = pa.nulls(n, pa.string())
    deferred = None
    if pc.any(pc.greater(codes, 0)).as_py():
        bad = pc.indices_nonzero(pc.and_(pc.greater(codes, 0), pc.less(codes, 3))).to_pylist()
        if bad:
            lines: list[str | None] = [None] * n
            for row, got in zip(bad, _lines_of(chunk, starts, bad), strict=True):
                lines[row] = got
            line = pa.array(lines, pa.string())
        rows = pc.indices_nonzero(pc.equal(codes, 3)).to_pylist()
        if rows:
            deferred = pa.table({
                "n": pa.array(rows, pa.int32()),
                "line": pa.array(_lines_of(chunk, starts, rows), pa.large_string()),
            })  # fmt: skip

    def text(name: str) -> pa.Array:
        got = texts.get(name)
        return _strings(n, *got) if got else pa.repeat(pa.scalar("-"), n)

    table = pa.table(
        [
            row_numbers(n),
            line,
            text("host"),
            pa.Array.from_buffers(pa.timestamp("us"), n, [pa.py_buffer(ok), pa.py_buffer(ts)]),
            _strings(n, *method),
            _strings(n, *target),
            text("request"),
            pa.Array.from_buffers(pa.int16(), n, [pa.py_buffer(ok), pa.py_buffer(status)]),
            pa.Array.from_buffers(pa.int64(), n, [pa.py_buffer(sized), pa.py_buffer(sizes)]),
            text("referrer"),
            text("user_agent"),
            text("vhost"),
            pc.take(_PROBLEMS, codes),
        ],
        names=list(COLUMNS),
    )
    return table, deferred


def lines_table(chunk: bytes) -> pa.Table:
    """The chunk's lines (without newlines) numbered from 0, for the SQL parser."""
    lines = pc.split_pattern(pa.array([chunk.decode("utf-8")], pa.large_string()), "\n").flatten()
    lines = lines.slice(0, len(lines) - 1)  # the chunk ends with a newline
    return pa.table({"n": row_numbers(len(lines)), "line": lines})


# What the facts keep (a path, a referring page): an agent or a host is kept only raw.
_CHECKED = ("target", "request", "referrer")


def _bounded(table: pa.Table) -> pa.Table:
    """``table`` with the requests no server writes made malformed: a time outside
    ``FIRST_TIME``..``END_TIME`` (a bad date) or a field over ``MAX_FIELD_CHARS`` (too long:
    it would be kept in the facts and fill the aggregates' memory)."""
    good = pc.is_null(table.column("problem"))
    long = pc.greater(pc.binary_length(table.column(_CHECKED[0])), MAX_FIELD_CHARS)
    for name in _CHECKED[1:]:
        long = pc.or_(long, pc.greater(pc.binary_length(table.column(name)), MAX_FIELD_CHARS))
    ts = table.column("ts")
    odd = pc.or_(
        pc.less(ts, pa.scalar(FIRST_TIME, ts.type)),
        pc.greater_equal(ts, pa.scalar(END_TIME, ts.type)),
    )
    long = pc.and_(good, pc.fill_null(long, False))
    odd = pc.and_(good, pc.and_(pc.invert(long), pc.fill_null(odd, False)))
    if not pc.any(long).as_py() and not pc.any(odd).as_py():
        return table
    problem = pc.if_else(long, TOO_LONG, pc.if_else(odd, BAD_DATE, table.column("problem")))
    shown = pc.binary_join_element_wise(  # what a sample of the line shows, kept short
        *(pc.utf8_slice_codeunits(pc.fill_null(table.column(n), "-"), 0, 200)
          for n in ("host", "request")),
        " ",
    )  # fmt: skip
    line = pc.if_else(pc.or_(long, odd), shown, table.column("line"))
    table = table.set_column(table.schema.get_field_index("line"), "line", line)
    return table.set_column(table.schema.get_field_index("problem"), "problem", problem)


def chunk_parse(con: duckdb.DuckDBPyConnection, chunk: bytes, fmt: LogFormat) -> pa.Table:
    """Each line of the chunk, its fields or why it is malformed, as ``parsed`` on ``con``
    and as the returned table (in line order). A malformed line's fields mean nothing (only
    n, line and problem do): every use of them selects ``problem IS NULL``."""
    chunk = utf8_clean(chunk)
    plan = scan_plan(fmt) if len(chunk) < 2**31 - 1 else None
    if plan is None:
        _sql_parse(con, lines_table(chunk), fmt)
        return registered_bounded(con, con.sql("SELECT * FROM parsed ORDER BY n").to_arrow_table())
    table, deferred = scanned_table(chunk, plan, fmt)
    if deferred is None:
        table = _bounded(table)
        con.register("parsed", table)
        return table
    _sql_parse(con, deferred, fmt)
    con.register("scanned", table)
    names = ", ".join(COLUMNS)  # constants: no input reaches the statement's text
    con.execute(
        f"INSERT INTO parsed ({names}) SELECT {names} FROM scanned "  # noqa: S608
        "WHERE problem IS DISTINCT FROM ?",
        [_DEFER],
    )
    con.unregister("scanned")
    return registered_bounded(con, con.sql("SELECT * FROM parsed ORDER BY n").to_arrow_table())


def registered_bounded(con: duckdb.DuckDBPyConnection, parsed: pa.Table) -> pa.Table:
    """``parsed`` (in line order) bounded, and in place of the SQL parser's temp table when
    that changed it (the samples of malformed lines are read from ``parsed``)."""
    bounded = _bounded(parsed)
    if bounded is not parsed:
        con.execute("DROP TABLE IF EXISTS parsed")
        con.register("parsed", bounded)
    return bounded


def _sql_parse(con: duckdb.DuckDBPyConnection, lines: pa.Table, fmt: LogFormat) -> None:
    """Temp table ``parsed`` by the SQL parser, from ``lines`` (n, line)."""
    con.register("chunk_lines", lines)
    con.execute(parse_sql(fmt), {"rx": fmt.regex})
    con.unregister("chunk_lines")
