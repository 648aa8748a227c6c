from __future__ import annotations

import threading

import pytest

from keepfaith.vault.cards import CardExpiry, CardNumber, validate_security_code
from keepfaith.vault.processors import (
    DeclineReason,
    LocalTestProcessor,
    PaymentProcessor,
    ProcessorError,
)


def charge(processor: LocalTestProcessor, number: str, key: str, amount: int = 1000):
    card = CardNumber(number)
    return processor.charge(
        amount_minor=amount,
        currency="eur",
        card=card,
        security_code=validate_security_code("123", card.brand),
        idempotency_key=key,
    )


def test_test_cards_approve_and_decline() -> None:
    processor = LocalTestProcessor()
    assert isinstance(processor, PaymentProcessor) is True
    approved = charge(processor, "4242424242424242", "key-approve")
    assert approved.approved is True and approved.card == "Visa •••• 4242"
    assert approved.currency == "EUR" and approved.reference.startswith("ch_")
    for number, reason in [
        ("4000000000009995", DeclineReason.INSUFFICIENT_FUNDS),
        ("4000000000000002", DeclineReason.DO_NOT_HONOUR),
        ("4000000000000069", DeclineReason.EXPIRED_CARD),
    ]:
        result = charge(processor, number, f"key-{number}")
        assert (result.approved, result.decline_reason, result.retryable) == (False, reason, False)
    assert len(processor.ledger) == 1


def test_an_expired_card_is_declined_by_its_expiry() -> None:
    result = LocalTestProcessor().charge(
        amount_minor=500,
        currency="DKK",
        card=CardNumber("4242424242424242"),
        security_code=None,
        idempotency_key="key-expired",
        expiry=CardExpiry(1, 2020),
    )
    assert result.decline_reason is DeclineReason.EXPIRED_CARD


def test_a_processing_error_is_retried_with_the_same_key() -> None:
    processor = LocalTestProcessor()
    first = charge(processor, "4000000000000119", "key-retry")
    assert (first.approved, first.retryable) == (False, True)
    second = charge(processor, "4000000000000119", "key-retry")
    assert second.approved is True
    assert len(processor.ledger) == 1


@pytest.mark.clause("QS-5")
def test_same_key_same_request_charges_once() -> None:
    processor = LocalTestProcessor()
    first = charge(processor, "4242424242424242", "key-once")
    again = charge(processor, "4242 4242 4242 4242", "key-once")
    assert again == first
    assert len(processor.ledger) == 1


def test_same_key_different_request_is_refused() -> None:
    processor = LocalTestProcessor()
    charge(processor, "4242424242424242", "key-conflict")
    with pytest.raises(ProcessorError, match="used for a different request"):
        charge(processor, "4242424242424242", "key-conflict", amount=2000)


@pytest.mark.clause("QS-5")
def test_concurrent_retries_charge_once() -> None:
    processor = LocalTestProcessor()
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(charge(processor, "5555555555554444", "key-race"))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({result.reference for result in results}) == 1
    assert len(processor.ledger) == 1


def test_token_charges_for_token_only_merchants() -> None:
    processor = LocalTestProcessor()
    card = CardNumber("378282246310005")
    token = processor.tokenize(card=card)
    assert (token.brand, token.last4, token.masked()) == (
        card.brand,
        "0005",
        "American Express •••• 0005",
    )
    result = processor.charge(
        amount_minor=100,
        currency="USD",
        card=token,
        security_code=None,
        idempotency_key="key-token",
    )
    assert result.approved is True and result.card_token == token
    unknown = processor.charge(
        amount_minor=100,
        currency="USD",
        card=type(token)("tok_x", card.brand, "0005"),
        security_code=None,
        idempotency_key="key-unknown",
    )
    assert unknown.decline_reason is DeclineReason.UNKNOWN_TOKEN


@pytest.mark.parametrize(
    ("amount", "currency", "key", "message"),
    [
        (0, "EUR", "key-12345", "positive whole number"),
        (100, "EURO", "key-12345", "three-letter ISO 4217"),
        (100, "EUR", "short", "8 to 255 characters"),
    ],
)
def test_bad_requests_are_refused(amount: int, currency: str, key: str, message: str) -> None:
    with pytest.raises(ProcessorError, match=message):
        LocalTestProcessor().charge(
            amount_minor=amount,
            currency=currency,
            card=CardNumber("4242424242424242"),
            security_code=None,
            idempotency_key=key,
        )
