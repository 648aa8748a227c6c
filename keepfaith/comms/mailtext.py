"""Turning the bytes of a received e-mail into text that can be read, whatever its charset.

The rule kept here: decoding never raises. Text in a charset Python does not know, or bytes
that do not fit the charset they are labelled with, come out with U+FFFD replacement
characters (or, for 8-bit text that is not UTF-8, as Windows-1252, which is what Danish mail
clients that mislabel their mail usually send). No lone surrogate ever leaves this module, so
the text can always be stored and shown.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
from collections.abc import Iterator

__all__ = [
    "clean_text",
    "decode_body_bytes",
    "decode_header_text",
    "html_to_text",
]

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_FOLD = re.compile(r"\r?\n[ \t]*")
_EIGHT_BIT_FALLBACK = "cp1252"


def clean_text(text: str) -> str:
    """Replace lone surrogates (left by ``surrogateescape``) and NUL characters with U+FFFD.

    Both would make the text unstorable (UTF-8 encoders and PostgreSQL refuse them).
    """
    cleaned = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return cleaned.replace("\x00", "\ufffd")


def _known_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.split("*", 1)[0].strip().strip('"').lower()
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_body_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode a body part; return the text and a defect note when the label did not fit.

    The labelled charset is tried strictly first. If it is unknown or does not fit, UTF-8 is
    tried, then Windows-1252 with replacement characters, so Latin-1 mail labelled UTF-8 still
    reads as the sender wrote it.
    """
    codec = _known_codec(charset)
    if codec is not None:
        try:
            return clean_text(data.decode(codec)), None
        except (UnicodeDecodeError, LookupError):
            pass
    note = None if codec is not None or charset is None else f"unknown charset {charset!r}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode(_EIGHT_BIT_FALLBACK, "replace")
        note = f"body labelled {charset or 'us-ascii'!r} decoded as {_EIGHT_BIT_FALLBACK}"
    else:
        if codec is not None:
            note = f"body labelled {charset!r} decoded as utf-8"
    return clean_text(text), note


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    try:
        if encoding in "Qq":
            raw = binascii.a2b_qp(payload.replace("_", " ").encode("ascii", "replace"))
        else:
            padded = payload + "=" * (-len(payload) % 4)
            raw = base64.b64decode(padded.encode("ascii", "replace"), validate=False)
    except (binascii.Error, ValueError):
        return f"=?{charset}?{encoding}?{payload}?="
    codec = _known_codec(charset)
    if codec is None:
        return clean_text(raw.decode("utf-8", "replace"))
    return clean_text(raw.decode(codec, "replace"))


def decode_header_text(raw_value: str) -> str:
    """Decode a raw header value: unfold, read 8-bit bytes, decode RFC 2047 encoded words.

    ``raw_value`` is a value as the ``email`` parser stores it (8-bit bytes as surrogates).
    Unknown charsets in encoded words give replacement characters, never an error.
    """
    data = raw_value.encode("utf-8", "surrogateescape") if raw_value else b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode(_EIGHT_BIT_FALLBACK, "replace")
    text = _FOLD.sub(" ", text)
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    text = _ENCODED_WORD.sub(lambda m: _decode_word(m.group(1), m.group(2), m.group(3)), text)
    return clean_text(text).strip()


_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})


_TAG_NAME = re.compile(r"(/?)([A-Za-z][A-Za-z0-9:-]{0,31})")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


class _NextFinder:
    """``text.find(needle, start)`` that never scans the same stretch twice: the last answer
    is kept while it still lies ahead (so a run of ``<`` without a ``>`` costs one scan)."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle, self.found = text, needle, -2

    def at_or_after(self, start: int) -> int:
        if self.found == -1 or self.found >= start:
            return self.found
        self.found = self.text.find(self.needle, start)
        return self.found


def _html_tokens(markup: str) -> Iterator[tuple[str, str]]:
    """``("text", s)``, ``("start", name)`` and ``("end", name)`` in one linear pass.

    A tag runs from ``<`` and a name to the next ``>`` (a ``>`` inside a quoted attribute
    ends it early; the rest reads as text); a ``<`` that starts no tag is text; comments are
    dropped up to ``-->`` (an unclosed one to the end); declarations are dropped.
    """
    size, i = len(markup), 0
    next_lt, next_gt = _NextFinder(markup, "<"), _NextFinder(markup, ">")
    while i < size:
        lt = next_lt.at_or_after(i)
        if lt < 0:
            yield "text", markup[i:]
            return
        if lt > i:
            yield "text", markup[i:lt]
        if markup.startswith("<!--", lt):
            close = markup.find("-->", lt + 4)
            i = size if close < 0 else close + 3
            continue
        gt, following = next_gt.at_or_after(lt + 1), next_lt.at_or_after(lt + 1)
        if gt < 0 or 0 <= following < gt:
            yield "text", "<"
            i = lt + 1
            continue
        name = _TAG_NAME.match(markup, lt + 1, gt)
        if name is not None:
            yield ("end" if name.group(1) else "start"), name.group(2).lower()
        i = gt + 1


def _visible_text(markup: str) -> str:
    parts: list[str] = []
    skipping = 0
    for kind, value in _html_tokens(markup):
        if kind == "text":
            if not skipping:
                parts.append(html.unescape(value))
        elif value in _SKIPPED_TAGS:
            skipping = skipping + 1 if kind == "start" else max(0, skipping - 1)
        elif value in _BLOCK_TAGS:
            parts.append("\n")
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, one line per block, in linear time.

    Not the stdlib ``HTMLParser``: on malformed input such as ``<a`` repeated it takes
    quadratic time (about 45 s for 160 KB), and any received mail may be malformed.
    """
    lines = (_SPACES.sub(" ", line).strip() for line in _visible_text(markup).splitlines())
    return clean_text("\n".join(line for line in lines if line))
