"""Logging filters that keep card data out of every log record (PCI DSS 3.3.1, 3.4.1, 3.5.1).

Rules kept here:

- A card-number-like run (13 to 19 digits, single spaces or dashes allowed between them,
  Luhn-valid) is replaced by ``[card ending 4242]`` wherever it appears: the message, its
  ``%`` arguments, the exception text and the stack text.
- A value of 3 or 4 digits given for a security-code field (``cvc=123``, ``"cvv": "1234"``,
  ``security_code: 123``) is replaced by ``***``.
- A filter never drops a record and never raises; it rewrites the record before any handler
  formats it: the message is merged with its arguments, the exception is rendered to text and
  the live exception (whose frames may hold card data) is let go.

Installed on the root handlers by ``LOGGING`` in ``keepfaith/settings.py``.
"""

from __future__ import annotations

import logging
import re
import traceback

from keepfaith.policy.trace import enforces
from keepfaith.vault.cards import luhn_valid

_CARD_LIKE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
_SECURITY_CODE = re.compile(
    r"(?i)(\b(?:cvc2?|cvv2?|cid|csc|card[_ -]?code|security[_ -]?code|card[_ -]?verification)"
    r"[\"']?\s*[:=]\s*[\"']?)\d{3,4}(?!\d)"
)


def _mask_card(match: re.Match[str]) -> str:
    digits = match.group(0).replace(" ", "").replace("-", "")
    if len(digits) < 13 or not luhn_valid(digits):
        return match.group(0)
    return f"[card ending {digits[-4:]}]"


def scrub_card_numbers(text: str) -> str:
    """``text`` with every Luhn-valid card-number-like run masked to its last four."""
    return _CARD_LIKE.sub(_mask_card, text)


def scrub_security_codes(text: str) -> str:
    """``text`` with every value of a security-code-like field replaced by ``***``."""
    return _SECURITY_CODE.sub(r"\1***", text)


def scrub_card_data(text: str) -> str:
    return scrub_security_codes(scrub_card_numbers(text))


class _RecordScrubber(logging.Filter):
    def scrub(self, text: str) -> str:
        raise NotImplementedError

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._rewrite(record)
        except Exception:  # a log line must never be lost to the filter itself
            record.msg = "[log message withheld: the card-data filter could not read it]"
            record.args = None
        return True

    def _rewrite(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: keep each part, scrubbed, for diagnosis
            parts = [str(record.msg), *map(repr, _as_tuple(record.args))]
            message = " | ".join(parts)
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            if not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)


def _as_tuple(args: object) -> tuple[object, ...]:
    if args is None:
        return ()
    return args if isinstance(args, tuple) else (args,)


@enforces("QS-5")
class CardNumberScrubFilter(_RecordScrubber):
    """Masks card-number-like digit runs in every record it sees."""

    def scrub(self, text: str) -> str:
        return scrub_card_numbers(text)


@enforces("QS-5")
class SecurityCodeScrubFilter(_RecordScrubber):
    """Blanks the values of security-code-like fields in every record it sees."""

    def scrub(self, text: str) -> str:
        return scrub_security_codes(text)
