"""Chunks of complete lines: a plain file cut where its chunks end, a stream read on."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.weblog.sources import MAX_LINE_BYTES, TAIL_BYTES, LineTooLong, line_chunks


@pytest.fixture(autouse=True)
def chunks_read_as_in_production() -> None:
    """The real TAIL_BYTES here (not the other web-log tests' smaller one): these tests size
    their lines and chunks by it."""


# Most lines short, some longer than where a plain file's chunk looks for its end.
LINE = st.one_of(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=TAIL_BYTES - 10, max_value=2 * TAIL_BYTES + 10),
)


def _log(lengths: list[int], tail: int) -> bytes:
    lines = [bytes([97 + at % 26]) * length + b"\n" for at, length in enumerate(lengths)]
    return b"".join(lines) + b"z" * tail


def _chunks(data: bytes, start: int, size: int) -> list[tuple[int, bytes]]:
    with io.BufferedReader(io.BytesIO(data)) as handle:  # type: ignore[arg-type]
        return list(line_chunks(handle, start, size))


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(LINE, max_size=40),
    tail=st.integers(min_value=0, max_value=400),
    size=st.integers(min_value=TAIL_BYTES + 1, max_value=4 * TAIL_BYTES),
    start_line=st.integers(min_value=0, max_value=40),
)
def test_a_plain_file_s_chunks_hold_its_complete_lines_once_each_in_order(
    lengths, tail, size, start_line
):
    data = _log(lengths, tail)
    start = sum(length + 1 for length in lengths[:start_line])
    chunks = _chunks(data, start, size)
    # every complete line from start, once, in order; the unfinished last line waits
    assert b"".join(chunk for _, chunk in chunks) == data[start : len(data) - tail]
    offset = start
    for at, chunk in chunks:
        assert at == offset and chunk.endswith(b"\n")
        offset += len(chunk)
    # no chunk is larger than the size unless a line is (then the rest is read as a stream)
    if max(lengths, default=0) + 1 <= size:
        assert all(len(chunk) <= size for _, chunk in chunks)


def test_a_plain_file_s_chunks_are_exact_reads_of_at_most_the_size():
    data = _log([199] * 5000, tail=17)  # 1 MB of 200-byte lines
    size = TAIL_BYTES * 3 + 50
    chunks = _chunks(data, 0, size)
    assert all(len(chunk) <= size and len(chunk) % 200 == 0 for _, chunk in chunks)
    assert len(chunks) == -(-5000 * 200 // (size - size % 200))


def test_a_gzip_log_is_read_on_as_a_stream_to_the_same_lines(tmp_path, monkeypatch):
    """A gzip file seeks back by decompressing again from its start: it is never cut as a
    plain file is."""
    data = _log([150] * 3000 + [TAIL_BYTES + 5] + [80] * 500, tail=9)
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(data))
    seeks = []
    monkeypatch.setattr(gzip.GzipFile, "seek", lambda *args: seeks.append(args))
    with gzip.open(path, "rb") as handle:
        chunks = list(line_chunks(handle, 300, TAIL_BYTES * 2))  # type: ignore[arg-type]
    assert b"".join(chunk for _, chunk in chunks) == data[300 : len(data) - 9]
    assert seeks == []


class _Rewritten(io.BytesIO):
    """A log rewritten (copied and truncated, then refilled) between two reads."""

    def __init__(self, first: bytes, then: bytes) -> None:
        super().__init__(first)
        self.then, self.reads = then, 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads == 2:
            at = self.tell()
            self.seek(0)
            self.write(self.then)
            self.seek(at)
        return super().read(size)


def test_a_log_rewritten_between_two_reads_is_still_cut_after_a_line():
    size = TAIL_BYTES * 3
    first = _log([99] * (size // 50), tail=0)
    then = _log([149] * (size // 50), tail=0)  # the same length, its lines ending elsewhere
    chunks = list(line_chunks(_Rewritten(first, then), 0, size))  # type: ignore[arg-type]
    assert chunks and all(chunk.endswith(b"\n") for _, chunk in chunks)
    assert b"".join(chunk for _, chunk in chunks) == then[: then.rfind(b"\n") + 1]


@pytest.mark.parametrize(
    ("size", "before"), [(TAIL_BYTES // 2, 10), (4 * 1024 * 1024, 10), (4 * 1024 * 1024, 350_000)]
)
def test_a_line_longer_than_any_server_writes_stops_the_chunks_where_it_starts(size, before):
    good = b"GET / HTTP/1.1\n" * before  # 350,000: 5 MB, more than a chunk before it
    chunks = []
    with pytest.raises(LineTooLong) as raised:
        for item in _chunks_gen(good + b"x" * (MAX_LINE_BYTES + 10), size):
            chunks.append(item)
    assert raised.value.offset == len(good)
    assert b"".join(chunk for _, chunk in chunks) == good


def _chunks_gen(data: bytes, size: int) -> Iterator[tuple[int, bytes]]:
    with io.BufferedReader(io.BytesIO(data)) as handle:  # type: ignore[arg-type]
        yield from line_chunks(handle, 0, size)
