from __future__ import annotations

import copy
import json
import pickle
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.cardcheck import luhn_valid
from keepfaith.vault.cards import (
    CardBrand,
    CardNumber,
    brand_of,
    masked,
    validate_expiry,
    validate_security_code,
)
from keepfaith.vault.errors import CardError
from tests.vault.conftest import with_check_digit

TODAY = date(2025, 6, 15)


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(
    ("raw", "brand"),
    [
        ("4242 4242 4242 4242", CardBrand.VISA),
        ("4222222222222", CardBrand.VISA),  # 13-digit Visa
        (with_check_digit("424242424242424242"), CardBrand.VISA),  # 19-digit Visa
        ("5555-5555-5555-4444", CardBrand.MASTERCARD),
        ("2223003122003222", CardBrand.MASTERCARD),  # 2-series
        (with_check_digit("272099999999999"), CardBrand.MASTERCARD),
        ("378282246310005", CardBrand.AMEX),
        ("6011111111111117", CardBrand.DISCOVER),
        (with_check_digit("622126000000000"), CardBrand.DISCOVER),
        ("3566002020360505", CardBrand.JCB),
        ("30569309025904", CardBrand.DINERS),
        ("36227206271667", CardBrand.DINERS),
        ("6759649826438453", CardBrand.MAESTRO),
        (with_check_digit("50180000000"), CardBrand.MAESTRO),  # 12-digit Maestro
        ("5019717010103742", CardBrand.DANKORT),
        (with_check_digit("457100000000000"), CardBrand.VISA_DANKORT),
    ],
)
def test_valid_numbers_get_their_brand(raw: str, brand: CardBrand) -> None:
    card = CardNumber(raw)
    assert card.brand is brand
    assert card.last4 == raw.replace(" ", "").replace("-", "")[-4:]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "enter the card number"),
        ("4242 4242 4242 424x", "only digits, spaces and dashes"),
        ("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "only digits"),  # Arabic-Indic digits are not card digits
        ("42424242424", "12 to 19 digits"),
        ("4242424242424241", "not valid; check for a typing error"),
        ("37828224631000", "American Express card number has 15 digits"),
        ("555555555555444", "Mastercard card number has 16 digits"),
        (with_check_digit("9" * 15), "brand is not accepted"),
        ("4" * 41, "too long"),
    ],
)
def test_invalid_numbers_are_refused_with_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(CardError, match=message):
        CardNumber(raw)


@pytest.mark.clause("QS-5")
def test_refusal_message_never_repeats_the_number() -> None:
    with pytest.raises(CardError) as caught:
        CardNumber("4242424242424241")
    assert "4242424242424241" not in str(caught.value)


def test_luhn_and_longest_prefix() -> None:
    assert luhn_valid("79927398713") is True
    assert luhn_valid("79927398710") is False
    assert brand_of("5019000000000000") is CardBrand.DANKORT  # not Maestro's "50"
    assert brand_of("4571000000000000") is CardBrand.VISA_DANKORT  # not Visa's "4"
    assert brand_of("6011000000000000") is CardBrand.DISCOVER  # not Maestro's "6"
    assert brand_of("9") is None


@pytest.mark.clause("QS-5")
def test_card_number_shows_only_brand_and_last_four() -> None:
    card = CardNumber("4242424242424242")
    shown = [
        repr(card),
        str(card),
        f"{card}",
        f"{card:>30}",
        f"{card}",
        "%s" % (card,),  # noqa: UP031 (the %-operator path must mask too)
        f"{card!r}",
    ]
    for text in shown:
        assert "424242424242" not in text
    assert str(card) == "Visa •••• 4242"
    assert repr(card) == "<CardNumber Visa •••• 4242>"
    assert card.reveal_for_processor() == "4242424242424242"
    assert masked(brand=CardBrand.AMEX, last4="0005") == "American Express •••• 0005"
    assert masked(brand="visa", last4="4242") == "Visa •••• 4242"


@pytest.mark.clause("QS-5")
def test_card_number_cannot_be_serialised_or_changed() -> None:
    card = CardNumber("4242424242424242")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(card)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"card": card})
    with pytest.raises(AttributeError, match="cannot be changed"):
        card.last4 = "0000"  # type: ignore[misc]
    assert copy.deepcopy(card) is card
    assert card == CardNumber("4242 4242 4242 4242")
    assert (card == CardNumber("5555555555554444")) is False


@pytest.mark.clause("QS-5")
def test_security_code_never_shows_and_never_serialises() -> None:
    code = validate_security_code("123", CardBrand.VISA)
    assert "123" not in repr(code) + str(code) + f"{code}"
    assert code.reveal_for_processor() == "123"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(code)
    with pytest.raises(TypeError, match="cannot be pickled"):
        copy.copy(code)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(code)


@pytest.mark.parametrize(
    ("code", "brand", "message"),
    [
        ("1234", CardBrand.VISA, "Visa security code has 3 digits"),
        ("123", CardBrand.AMEX, "American Express security code has 4 digits"),
        ("12a", CardBrand.MASTERCARD, "has 3 digits"),
    ],
)
def test_security_code_length_by_brand(code: str, brand: CardBrand, message: str) -> None:
    with pytest.raises(CardError, match=message):
        validate_security_code(code, brand)
    assert validate_security_code("1234", CardBrand.AMEX).reveal_for_processor() == "1234"


def test_expiry_is_valid_through_the_end_of_its_month() -> None:
    assert validate_expiry(6, 2025, today=TODAY).month == 6
    assert str(validate_expiry("06", "25", today=TODAY)) == "06/25"
    assert validate_expiry(1, 30, today=TODAY).year == 2030


@pytest.mark.parametrize(
    ("month", "year", "message"),
    [
        (5, 2025, "expired"),
        (12, 2024, "expired"),
        (13, 2026, "between 1 and 12"),
        (0, 2026, "between 1 and 12"),
        ("x", 2026, "month must be a number"),
        (1, 2046, "more than 20 years ahead"),
        (True, 2026, "month must be a number"),
    ],
)
def test_expiry_refusals(month: int | str, year: int | str, message: str) -> None:
    with pytest.raises(CardError, match=message):
        validate_expiry(month, year, today=TODAY)


def test_expiry_uses_the_today_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("keepfaith.vault.cards._today", lambda: date(2031, 1, 1))
    with pytest.raises(CardError, match="expired"):
        validate_expiry(12, 2030)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50) | st.from_regex(r"[0-9 -]{10,25}", fullmatch=True))
def test_any_card_input_is_a_card_or_a_card_error(raw: str) -> None:
    try:
        card = CardNumber(raw)
    except CardError as exc:
        typed = "".join(ch for ch in raw if ch.isdigit())
        assert len(typed) < 5 or typed not in str(exc)
    else:
        assert luhn_valid(card.reveal_for_processor()) is True
        assert card.reveal_for_processor() not in repr(card)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(), st.text(max_size=6)), st.one_of(st.integers(), st.text(max_size=6)))
def test_any_expiry_input_is_an_expiry_or_a_card_error(month: object, year: object) -> None:
    try:
        expiry = validate_expiry(month, year, today=TODAY)  # type: ignore[arg-type]
    except CardError as exc:
        assert str(exc).startswith("the ")
    else:
        assert 1 <= expiry.month <= 12
        assert expiry.expired(today=TODAY) is False
