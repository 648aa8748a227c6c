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
from html.parser import HTMLParser

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


class _TextCollector(HTMLParser):
    """Collects the visible text of an HTML body; block elements start new lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, one line per block, with the stdlib HTML parser.

    If the parser gives up on broken markup, tags are stripped with a pattern instead.
    """
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
        text = "".join(collector.parts)
    except Exception:  # the stdlib parser has asserted on broken markup in the past
        text = html.unescape(_TAG.sub(" ", markup))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return clean_text("\n".join(line for line in lines if line))
