from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from keepfaith.vault.scrub import (
    CardNumberScrubFilter,
    SecurityCodeScrubFilter,
    scrub_card_numbers,
    scrub_security_codes,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(CardNumberScrubFilter())
    handler.addFilter(SecurityCodeScrubFilter())
    logger = logging.getLogger("tests.vault.scrub")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(
    "text",
    [
        "4242424242424242",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "3782 822463 10005",
        "500000000009",  # a 12-digit Maestro number, which the vault accepts
    ],
)
def test_card_like_runs_keep_only_the_last_four(text: str) -> None:
    scrubbed = scrub_card_numbers(f"paid with {text}.")
    assert scrubbed == f"paid with [card ending {text[-4:]}]."


def test_digit_runs_that_are_not_cards_are_kept() -> None:
    for text in ["order 4242424242424241", "id 123456789012", "2024-06-01 12:30:45", "1" * 25]:
        assert scrub_card_numbers(text) == text


def test_security_code_fields_are_blanked() -> None:
    assert scrub_security_codes("cvc=123 amount=1000") == "cvc=*** amount=1000"
    assert scrub_security_codes("{'cvv': '1234'}") == "{'cvv': '***'}"
    assert scrub_security_codes('"security_code": "321"') == '"security_code": "***"'
    assert scrub_security_codes("order=123") == "order=123"


@pytest.mark.clause("QS-5")
def test_percent_args_are_scrubbed(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning("charge %s failed for %(card)s", "5555555555554444", {"x": 1})
    logger.warning("payload %r", {"number": "4242 4242 4242 4242", "cvc": "123"})
    output = stream.getvalue()
    assert "5555555555554444" not in output and "[card ending 4444]" in output
    assert "4242 4242 4242 4242" not in output and "[card ending 4242]" in output
    assert "'cvc': '***'" in output


@pytest.mark.clause("QS-5")
def test_exception_text_is_scrubbed(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("gateway rejected 4242424242424242 with cvc=999")
    except ValueError:
        logger.exception("charge failed")
    output = stream.getvalue()
    assert "Traceback" in output
    assert "4242424242424242" not in output and "999" not in output
    assert "[card ending 4242] with cvc=***" in output


def test_bad_format_args_are_still_scrubbed(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.error("two %s %s", "4242424242424242")  # one argument missing
    output = stream.getvalue()
    assert "4242424242424242" not in output
    assert "[card ending 4242]" in output


@pytest.mark.feature("security.vault.log_redaction")
@pytest.mark.clause("QS-5")
def test_settings_install_the_filters_on_the_root_handlers() -> None:
    from django.conf import settings

    logging_config: dict[str, Any] = settings.LOGGING
    console = logging_config["handlers"]["console"]
    assert console["filters"] == [
        "scrub_card_numbers",
        "scrub_security_codes",
        "scrub_link_secrets",
    ]
    assert logging_config["root"]["handlers"] == ["console"]
    filters = logging_config["filters"]
    assert filters["scrub_card_numbers"]["()"].endswith("CardNumberScrubFilter")
    assert filters["scrub_link_secrets"]["()"].endswith("LinkSecretScrubFilter")


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(
    "text", ["4242+4242+4242+4242", "4242%204242%204242%204242", "4242%204242+4242-4242"]
)
def test_card_numbers_as_a_url_carries_them_are_masked(text: str) -> None:
    assert scrub_card_numbers(f"GET /pay?n={text}&x=1") == "GET /pay?n=[card ending 4242]&x=1"


@pytest.mark.clause("QS-5")
def test_every_record_of_the_process_is_scrubbed_even_on_an_unfiltered_handler() -> None:
    """A library logger with a handler of its own (no filter) still never writes a card."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # no filters at all
    logger = logging.getLogger("tests.vault.scrub.library")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET /shop/?card=%s&cvc=123", "4242+4242+4242+4242")
        try:
            raise ValueError("card 5555555555554444 refused")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "4242+4242" not in output and "5555555555554444" not in output
    assert "card=[card ending 4242]&cvc=***" in output
    assert "card [card ending 4444] refused" in output


def test_django_s_own_loggers_have_only_scrubbed_handlers() -> None:
    from django.conf import settings

    for name in ("django", "django.server", "django.request"):
        for handler in logging.getLogger(name).handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's own capture
            names = {type(f).__name__ for f in handler.filters}
            assert {"CardNumberScrubFilter", "SecurityCodeScrubFilter"} <= names, (name, handler)
    logging_config: dict[str, Any] = settings.LOGGING
    assert logging_config["loggers"]["django"]["handlers"] == []
