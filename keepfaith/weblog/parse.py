"""The per-line reference parser: what one log line means, or why it is malformed.

Ingest does the same work on whole chunks (:mod:`keepfaith.weblog.fastparse`); this module
is the readable statement of the rules, used for single lines, tests and fuzzing. It never
raises for any input: every line is either a :class:`LogRecord` or a :class:`Malformed`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from keepfaith.urlsecrets import references_shown, scrub_urls
from keepfaith.vault.scrub import scrub_card_data
from keepfaith.weblog.formats import LogFormat
from keepfaith.weblog.linear import VisitorPattern, visitor_regex

TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
NOT_THE_FORMAT = "not the log format"
BAD_DATE = "bad date"
TOO_LONG = "line too long"
# Requests a log can hold: a time outside is a bad date (0001 or 9999 overflowed later steps).
FIRST_TIME = dt.datetime(1970, 1, 1)
END_TIME = dt.datetime(2200, 1, 1)
# Apache and nginx refuse request lines and headers over 8 KB: a longer field is no request.
MAX_FIELD_CHARS = 16 * 1024
BAD_REQUEST = "bad request line"
REQUEST_LINE = r"^([A-Za-z]+) ([^ ]+)"
_REQUEST = visitor_regex(REQUEST_LINE)
# A run of hex digits, dots and colons that holds a hex digit before a dot or a colon.
_EMAILISH = visitor_regex(r"[^\s@\"'<>]{1,64}@[^\s@\"'<>]{1,253}")
_ADDRESSY = visitor_regex(r"[0-9A-Fa-f:.]*[0-9A-Fa-f][.:][0-9A-Fa-f:.]*")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One parsed request (still with its raw host: only ingest's privacy step removes it)."""

    host: str
    time: dt.datetime
    method: str
    target: str
    status: int
    bytes: int | None
    referrer: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is not a request, and why."""

    reason: str


@lru_cache(maxsize=32)
def _compiled(regex: str) -> VisitorPattern:
    return visitor_regex(regex)  # RE2, as DuckDB runs the same regex


def _field(match: VisitorPattern, fmt: LogFormat, name: str) -> str:
    group = fmt.group_of(name)
    return match.group(group) if group is not None else "-"


def log_record(*, line: str, fmt: LogFormat) -> LogRecord | Malformed:
    """Parse one line (without its newline) in ``fmt``."""
    match = _compiled(fmt.regex).match(line)
    if match is None:
        return Malformed(reason=NOT_THE_FORMAT)
    try:
        when = dt.datetime.strptime(_field(match, fmt, "time"), TIME_FORMAT).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # 01/Jan/0001 +0100 is before the calendar starts
        return Malformed(reason=BAD_DATE)
    if not FIRST_TIME <= when.replace(tzinfo=None) < END_TIME:
        return Malformed(reason=BAD_DATE)
    text = _field(match, fmt, "request")
    if max(len(text.encode()), len(_field(match, fmt, "referrer").encode())) > MAX_FIELD_CHARS:
        return Malformed(reason=TOO_LONG)  # as the ingest's bound (fastparse._bounded) says
    request = _REQUEST.match(text)
    if request is None:
        return Malformed(reason=BAD_REQUEST)
    size = _field(match, fmt, "bytes")
    return LogRecord(
        host=_field(match, fmt, "host"),
        time=when,
        method=request.group(1),
        target=request.group(2),
        status=int(_field(match, fmt, "status")),
        bytes=int(size) if size.isascii() and size.isdigit() else None,
        referrer=_field(match, fmt, "referrer"),
        user_agent=_field(match, fmt, "user_agent"),
    )


def redacted_excerpt(*, line: str, limit: int = 160) -> str:
    """A malformed line safe to show in a report (it lands in cron mail and the journal):
    card data, e-mail addresses, keepfaith references, link secrets and addresses masked,
    control bytes escaped."""
    _, space, rest = line[: limit * 2].partition(" ")
    text = _EMAILISH.sub("[e-mail]", scrub_card_data("[host]" + space + rest))
    masked = _ADDRESSY.sub("[address]", references_shown(scrub_urls(text)))
    printable = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in masked)
    return printable[:limit]
