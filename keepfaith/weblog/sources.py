"""Log files as ingest reads them: plain or gzip, known by their first line, in chunks of
complete lines."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

FINGERPRINT_BYTES = 64 * 1024
FINGERPRINT_LINES = 8


# No web server writes a line this long (Apache and nginx refuse a request line over 8 KB):
# reading on would hold the whole line in memory, and a last line that never ends would be
# read again, whole, on every run.
MAX_LINE_BYTES = 1024 * 1024


class LogSourceError(ValueError):
    """A path that cannot be read as a log."""


class LineTooLong(ValueError):
    """A line longer than ``MAX_LINE_BYTES``: the file is read up to its start."""

    def __init__(self, offset: int) -> None:
        super().__init__(
            f"the line that starts at byte {offset:,} is longer than {MAX_LINE_BYTES:,} bytes, "
            "which no web server writes (Apache and nginx refuse a request line over 8 KB): "
            "the file is read up to that line; cut or remove it to read the rest"
        )
        self.offset = offset


class _Gzip(gzip.GzipFile):
    """A gzip log whose damage (cut short, corrupt) is a ``LogSourceError`` naming the file,
    not an ``EOFError`` from deep in the reader."""

    def __init__(self, path: Path, raw: BinaryIO) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self.path = path

    def read(self, size: int | None = -1) -> bytes:
        try:
            return super().read(size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise LogSourceError(f"{self.path}: the gzip file is damaged ({exc})") from exc


def log_open(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it starts with gzip's magic number."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise LogSourceError(f"{path}: cannot read: {exc.strerror}") from exc
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return _Gzip(path, raw)  # type: ignore[return-value]
    return raw


def file_fingerprints(*, path: Path) -> list[str]:
    """sha256 of the first 1, 2, ... up to ``FINGERPRINT_LINES`` complete lines (within the
    first 64 KiB; a first line longer than that: of those bytes), shortest first; [] while
    there is no complete line.

    A file is known by the longest when it is first read: two servers behind one balancer
    rotate in the same second and both logs start with the same health check, so one line
    told them apart from nothing and the second file lost its first lines as "already read".
    As a file grows it is found again by whichever of them the store holds (stores written
    before this kept the first line's).
    """
    with log_open(path) as handle:
        head = handle.read(FINGERPRINT_BYTES)
    cut = head.find(b"\n")
    if cut < 0:
        return [] if len(head) < FINGERPRINT_BYTES else [hashlib.sha256(head).hexdigest()]
    digest, found, start = hashlib.sha256(), list[str](), 0
    while cut >= 0 and len(found) < FINGERPRINT_LINES:
        digest.update(head[start : cut + 1])
        found.append(digest.hexdigest())
        start = cut + 1
        cut = head.find(b"\n", start)
    return found


TAIL_BYTES = 64 * 1024  # where a plain file's chunk looks for its last newline first


def line_chunks(handle: BinaryIO, start: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of successive runs of complete lines from ``start``, of about ``size``
    bytes each."""
    if isinstance(handle, gzip.GzipFile) or not handle.seekable() or size <= TAIL_BYTES:
        yield from _chunks_read_on(handle, start, size)
        return
    offset = start
    while True:
        # The chunk's end is found first (its last newline in its last TAIL_BYTES), then the
        # chunk is read exactly: cutting it from a larger read copied 4 MB holding the GIL,
        # while the workers waited for it (docs/weblog.md, "Speed").
        handle.seek(offset + size - TAIL_BYTES)
        last = handle.read(TAIL_BYTES).rfind(b"\n")
        if last >= 0:
            length = size - TAIL_BYTES + last + 1
            handle.seek(offset)
            chunk = handle.read(length)
            if len(chunk) == length and chunk.endswith(b"\n"):  # else rewritten meanwhile
                yield offset, chunk
                offset += length
                continue
        # Near the file's end, or a line longer than TAIL_BYTES where the chunk would end:
        # one read, cut after its last newline, as a stream is cut.
        handle.seek(offset)
        data = handle.read(size)
        cut = data.rfind(b"\n")
        if cut < 0:  # no line ends within a chunk's size: the rest as a stream
            handle.seek(offset)
            yield from _chunks_read_on(handle, offset, size, skip=0)
            return
        yield offset, data[: cut + 1]
        offset += cut + 1
        if len(data) - cut - 1 > MAX_LINE_BYTES:  # as a stream says it, past its last newline
            raise LineTooLong(offset)


def _chunks_read_on(
    handle: BinaryIO, start: int, size: int, *, skip: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """``line_chunks`` of a stream: each read cut after its last newline, the rest carried
    on to the next; ``skip`` bytes (``start`` unless given) read first and left out."""
    skip = start if skip is None else skip
    while skip > 0:
        got = handle.read(min(skip, size))
        if not got:
            return
        skip -= len(got)
    offset, pending = start, b""
    while True:
        data = handle.read(size)
        if not data:
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            pending += data
            if len(pending) > MAX_LINE_BYTES:
                raise LineTooLong(offset)
            continue
        chunk = pending + data[: cut + 1] if pending else data[: cut + 1]
        pending = data[cut + 1 :]
        yield offset, chunk
        offset += len(chunk)
        if len(pending) > MAX_LINE_BYTES:  # a read of more than the limit past its last newline
            raise LineTooLong(offset)
