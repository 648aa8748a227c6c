"""Logging filters that keep card data (PCI DSS 3.3.1, 3.4.1, 3.5.1) and the secrets of links
(``keepfaith.urlsecrets``: sign-up, unsubscribe and reset tokens, customer and order numbers in
paths) out of every log record.

Rules kept here:

- A card-number-like run (12 to 19 digits, the lengths card numbers have, Maestro's from 12;
  a single space, dash, ``+`` or ``%20`` allowed between them, as typed or as a URL carries
  them; Luhn-valid) is replaced by ``[card ending 4242]`` wherever it appears: the message,
  its ``%`` arguments, the exception text and the stack text.
- A value of 3 or 4 digits given for a security-code field (``cvc=123``, ``"cvv": "1234"``,
  ``security_code: 123``) is replaced by ``***``.
- A filter never drops a record and never raises; it rewrites the record before any handler
  formats it: the message is merged with its arguments, the exception is rendered to text and
  the live exception (whose frames may hold card data) is let go.
- Both patterns run in linear time: every repetition is bounded and consumes input.

Where it runs: ``configure_logging`` (Django's ``LOGGING_CONFIG``) applies ``LOGGING`` and
installs ``scrubbing_record_factory``, so every record any logger of the process creates is
scrubbed when it is made (Django's request and development-server logs, axes, celery,
gunicorn's error and access logs alike); the handlers of ``LOGGING`` carry the filters as
well. ``keepfaith/gunicorn_conf.py`` puts the filters on gunicorn's own loggers.
"""

from __future__ import annotations

import logging
import logging.config
import re
import traceback
from collections.abc import Callable
from typing import Any

from keepfaith.cardcheck import luhn_valid
from keepfaith.policy.trace import enforces
from keepfaith.urlsecrets import scrub_urls

_CARD_LIKE = re.compile(r"(?<![\d])\d(?:(?:[ +-]|%20)?\d){11,18}(?![\d])")
_SECURITY_CODE = re.compile(
    r"(?i)(\b(?:cvc2?|cvv2?|cid|csc|card[_ -]?code|security[_ -]?code|card[_ -]?verification)"
    r"[\"']?\s{0,16}[:=]\s{0,16}[\"']?)\d{3,4}(?!\d)"
)
_SEPARATORS = re.compile(r"[ +-]|%20")


def _mask_card(match: re.Match[str]) -> str:
    digits = _SEPARATORS.sub("", match.group(0))
    if len(digits) < 12 or not luhn_valid(digits):
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


@enforces("QS-5", features=("security.vault.log_redaction",))
class CardNumberScrubFilter(_RecordScrubber):
    """Masks card-number-like digit runs in every record it sees."""

    def scrub(self, text: str) -> str:
        return scrub_card_numbers(text)


@enforces("QS-5")
class SecurityCodeScrubFilter(_RecordScrubber):
    """Blanks the values of security-code-like fields in every record it sees."""

    def scrub(self, text: str) -> str:
        return scrub_security_codes(text)


@enforces("BE-5")
class LinkSecretScrubFilter(_RecordScrubber):
    """Replaces the tokens and references of every path in a record (``keepfaith.urlsecrets``):
    an access-log line of an unsubscribe or sign-up link must not carry what admits the
    customer, nor their number."""

    def scrub(self, text: str) -> str:
        return scrub_urls(text)


@enforces("QS-5", "BE-5")
class LogTextScrubFilter(_RecordScrubber):
    """Card data, then link secrets, in one pass: what every record of the process gets."""

    def scrub(self, text: str) -> str:
        return scrub_urls(scrub_card_data(text))


_RECORD_SCRUBBER = LogTextScrubFilter()


def scrubbing_record_factory(
    base: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    """A log-record factory that scrubs each record ``base`` makes, before any handler."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        _RECORD_SCRUBBER.filter(record)
        return record

    make.keepfaith_scrubs = True  # type: ignore[attr-defined]
    return make


@enforces("QS-5")
def install_record_scrubber() -> None:
    """Scrub every log record this process creates (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "keepfaith_scrubs", False):
        logging.setLogRecordFactory(scrubbing_record_factory(current))


def configure_logging(logging_settings: dict[str, Any]) -> None:
    """``LOGGING_CONFIG``: apply ``LOGGING`` and scrub every record of the process."""
    logging.config.dictConfig(logging_settings)
    install_record_scrubber()
