# The compiled log-line scanner (_linescan.c); see keepfaith.weblog.fastparse.
from typing import Any

Column = tuple[bytes, bytes]  # int32 offsets, UTF-8 data

def scan(
    chunk: bytes, plan: tuple[Any, ...], /
) -> tuple[int, bytes, bytes, bytes, bytes, bytes, bytes, bytes, list[Column]]: ...
def pseudonyms(keys: tuple[bytes, ...], which: Any, offsets: Any, data: Any, /) -> bytes: ...
