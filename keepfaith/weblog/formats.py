"""Access-log format strings turned into one regular expression.

Apache ``LogFormat`` tokens (``%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %v %D``
...) and nginx ``log_format`` variables (``$remote_addr [$time_local] "$request"`` ...) both
compile to a :class:`LogFormat`: a regex whose numbered groups are named by ``fields``. The
same regex runs in Python (:mod:`keepfaith.weblog.parse`, the reference) and in DuckDB's RE2
(the ingest), so it only uses syntax both engines read the same way.

A format must capture the client host, the time, the request line and the status: without
them a line cannot be counted as a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRESETS: dict[str, str] = {
    "common": '%h %l %u %t "%r" %>s %b',
    "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "vhost_combined": '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    "nginx": '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"',
}
REQUIRED_FIELDS = ("host", "time", "request", "status")

# Token kinds: each has one regex, which the split plan (keepfaith.weblog.sqlparse) mirrors.
WORD, WORD0, STATUS, BYTES, DIGITS, TIME, QUOTED, ANYQ = (
    "word",
    "word0",
    "status",
    "bytes",
    "digits",
    "time",
    "quoted",
    "anyq",
)
KIND_PATTERNS: dict[str, str] = {
    WORD: '[^ "]+',
    WORD0: '[^ "]*',
    STATUS: "[0-9]{3}",
    BYTES: "[0-9]+|-",
    DIGITS: "[0-9]+",
    TIME: r'[^\] "]+ [^\] "]+',
    QUOTED: r'(?:[^"\\]|\\.)*',
    ANYQ: '[^"]*',
}
_APACHE: dict[str, tuple[str | None, str]] = {
    "h": ("host", WORD),
    "a": ("host", WORD),
    "l": (None, WORD),
    "u": ("user", WORD),
    "t": ("time", TIME),
    "r": ("request", QUOTED),
    ">s": ("status", STATUS),
    "s": ("status", STATUS),
    "b": ("bytes", BYTES),
    "B": ("bytes", DIGITS),
    "O": ("bytes", BYTES),
    "I": (None, WORD),
    "v": ("vhost", WORD),
    "V": ("vhost", WORD),
    "p": (None, DIGITS),
    "D": ("duration_us", DIGITS),
    "T": (None, WORD),
    "m": (None, WORD),
    "U": (None, WORD),
    "q": (None, WORD0),
    "H": (None, WORD),
    "{Referer}i": ("referrer", WORD),
    "{User-Agent}i": ("user_agent", WORD),
}
_NGINX: dict[str, tuple[str | None, str]] = {
    "remote_addr": ("host", WORD),
    "binary_remote_addr": ("host", WORD),
    "remote_user": ("user", WORD),
    "time_local": ("time", TIME),
    "request": ("request", QUOTED),
    "status": ("status", STATUS),
    "body_bytes_sent": ("bytes", BYTES),
    "bytes_sent": ("bytes", BYTES),
    "http_referer": ("referrer", WORD),
    "http_user_agent": ("user_agent", WORD),
    "host": ("vhost", WORD),
    "server_name": ("vhost", WORD),
    "request_time": (None, WORD),
    "upstream_response_time": (None, WORD),
    "http_x_forwarded_for": (None, ANYQ),
    "request_length": (None, DIGITS),
}
_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_APACHE_TOKEN = re.compile(r"%(?:(\{[^}]*\}[a-zA-Z])|[<>]?([a-zA-Z%]))")
_NGINX_TOKEN = re.compile(r"\$([a-z_][a-z0-9_]*)")


def _literal(text: str) -> str:
    """``text`` as a regex that Python's ``re`` and RE2 both read literally."""
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


class LogFormatError(ValueError):
    """A format string this module cannot turn into a parser."""


@dataclass(frozen=True, slots=True)
class Atom:
    """A piece of a format: literal ``text``, or a token of ``kind`` captured as ``field``."""

    text: str = ""
    kind: str | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class LogFormat:
    """A compiled format: its atoms, ``regex`` (the reference) and the field of each group."""

    spec: str
    atoms: tuple[Atom, ...]
    regex: str
    fields: tuple[str, ...]

    def group_of(self, field: str) -> int | None:
        """1-based group number of ``field``, or None when the format lacks it."""
        return self.fields.index(field) + 1 if field in self.fields else None


def _token_rule(spec: str, match: re.Match[str], nginx: bool) -> tuple[str | None, str]:
    if nginx:
        name = match.group(1)
        if name.startswith("http_"):
            return _NGINX.get(name, (None, ANYQ))
        rule = _NGINX.get(name)
    else:
        name = match.group(1) or match.group(2)
        rule = _APACHE.get(name)
        if rule is None and name.startswith("{") and name[-1] in "ioenCt":
            rule = (None, WORD)
    if rule is None:
        raise LogFormatError(f"log format {spec!r}: unknown token {match.group(0)!r}")
    return rule


def _atoms(text: str) -> list[Atom]:
    nginx = "%" not in text and "$" in text
    token = _NGINX_TOKEN if nginx else _APACHE_TOKEN
    atoms: list[Atom] = []
    fields: set[str] = set()
    pos = 0
    for match in token.finditer(text):
        atoms.append(Atom(text=text[pos : match.start()]))
        pos = match.end()
        if not nginx and match.group(2) == "%":
            atoms.append(Atom(text="%"))
            continue
        field, kind = _token_rule(text, match, nginx)
        quoted = match.start() > 0 and text[match.start() - 1] == '"'
        kind = QUOTED if quoted and kind == WORD else kind
        field = None if field in fields else field
        if field:
            fields.add(field)
        if kind == TIME and not nginx:
            atoms += [Atom(text="["), Atom(kind=kind, field=field), Atom(text="]")]
        else:
            atoms.append(Atom(kind=kind, field=field))
    atoms.append(Atom(text=text[pos:].rstrip()))
    return [atom for atom in atoms if atom.kind or atom.text]


def log_format(*, spec: str) -> LogFormat:
    """Compile a preset name (``common``, ``combined``, ``nginx`` ...) or a format string.

    Fields are separated as written; after the last one, a line may go on only after a
    space (``(?: .*)?$``), so a line of a longer format parses in a shorter one.
    """
    text = PRESETS.get(spec, spec)
    if not text.strip():
        raise LogFormatError("log format is empty")
    atoms = _atoms(text)
    parts = ["^"]
    for atom in atoms:
        if atom.kind is None:
            parts.append(_literal(atom.text))
        else:
            capture = "(" if atom.field else "(?:"
            parts.append(capture + KIND_PATTERNS[atom.kind] + ")")
    parts.append("(?: .*)?$")
    fields = tuple(atom.field for atom in atoms if atom.field)
    missing = [name for name in REQUIRED_FIELDS if name not in fields]
    if missing:
        raise LogFormatError(f"log format {spec!r}: lacks {', '.join(missing)}")
    return LogFormat(spec=text, atoms=tuple(atoms), regex="".join(parts), fields=fields)
