"""Which log format a file is in, judged from its first lines (clause BE-5).

A file ingested in the wrong format is not thrown away: before a line is read, the first
lines are parsed in each known format (the configured one, Apache's vhost_combined and
combined, nginx's default, Common); the format that reads the most of them wins, the one
with more fields on a tie (a Combined line also reads as Common, which would lose its
referrer and agent). When even the chosen format leaves most of those lines malformed, the
file is refused, with the format they look like, and nothing of it is marked read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keepfaith.weblog.formats import PRESETS, LogFormat, log_format
from keepfaith.weblog.parse import LogRecord, log_record

SAMPLE_LINES = 200
SAMPLE_BYTES = 256 * 1024
HEAD_MAX_BYTES = 65 * SAMPLE_BYTES  # how far a first line longer than the sample is read
# Presets tried, most fields first; nginx's default reads the same lines as combined.
DETECTED = ("vhost_combined", "combined", "nginx", "common")
MOSTLY = 0.5  # more than this share malformed: the lines are not in the format


@dataclass(frozen=True, slots=True)
class FormatGuess:
    """A format, its name as the user would give it, and how many sample lines it read."""

    fmt: LogFormat
    name: str
    parsed: int
    sampled: int

    @property
    def fits(self) -> bool:
        """At least half of the sample reads as requests."""
        return self.sampled > 0 and self.malformed <= self.sampled * MOSTLY

    @property
    def malformed(self) -> int:
        return self.sampled - self.parsed


class LogFormatMismatch(ValueError):
    """A file whose first lines are mostly not in the format it would be read in."""


def sample_lines(head: bytes) -> list[str]:
    """The complete lines of ``head`` (the start of a file), at most :data:`SAMPLE_LINES`."""
    complete = head[: head.rfind(b"\n") + 1] if b"\n" in head else b""
    lines = complete.decode("utf-8", "replace").split("\n")[:-1]
    return lines[:SAMPLE_LINES]


def format_named(name: str) -> LogFormat:
    return log_format(spec=name)


def format_score(fmt: LogFormat, name: str, lines: Sequence[str]) -> FormatGuess:
    parsed = sum(isinstance(log_record(line=line, fmt=fmt), LogRecord) for line in lines)
    return FormatGuess(fmt=fmt, name=name, parsed=parsed, sampled=len(lines))


def format_guess(lines: Sequence[str], configured: LogFormat | None = None) -> FormatGuess:
    """The candidate reading the most of ``lines``; on a tie the configured one, then the
    one with more fields."""
    candidates = [(configured, "configured")] if configured is not None else []
    candidates += [(format_named(name), name) for name in DETECTED]
    # Tried in the order of preference on a tie (stable: the first of equals stays first), a
    # candidate that reads every line is the answer, and the rest need not be parsed.
    candidates.sort(key=lambda item: (item[1] == "configured", len(item[0].fields)), reverse=True)
    best: FormatGuess | None = None
    for fmt, name in candidates:
        guess = format_score(fmt, name, lines)
        if best is None or guess.parsed > best.parsed:
            best = guess
        if guess.parsed == len(lines):
            break
    assert best is not None  # the presets are always tried
    return best


def format_name(fmt: LogFormat) -> str:
    """A preset's name for ``fmt`` (``combined``), or its format string."""
    for name, spec in PRESETS.items():
        if spec == fmt.spec:
            return name
    return fmt.spec


def mismatch_message(path: str, chosen: FormatGuess, likely: FormatGuess) -> str:
    """Why a file is refused, and the format its lines look like."""
    if not chosen.sampled:
        return (
            f"{path}: no line ends in it (read up to {HEAD_MAX_BYTES:,} bytes): not a text web "
            "log. Nothing of the file was read."
        )
    head = (
        f"{path}: {chosen.malformed} of the first {chosen.sampled} lines are not in the "
        f"{chosen.name!r} format"
    )
    if likely.fits and likely.name != chosen.name:
        spec = likely.fmt.spec if likely.name == "configured" else likely.name
        hint = (
            f"they read as {likely.name!r} ({likely.parsed} of {likely.sampled}): run again "
            f"with --format {spec!r}"
        )
    else:
        hint = "no known format reads them: give the server's LogFormat with --format"
    return f"{head}; {hint}. Nothing of the file was read."
