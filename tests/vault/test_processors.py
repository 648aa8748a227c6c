from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from keepfaith.vault.cards import CardExpiry, CardNumber, validate_security_code
from keepfaith.vault.processors import (
    CardToken,
    ChargeResult,
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


def test_a_refund_pays_a_charge_back_once_and_never_more_than_was_charged() -> None:
    processor = LocalTestProcessor()
    charged = charge(processor, "4242424242424242", "key-refund", amount=1000)
    with pytest.raises(ProcessorError, match="cannot exceed the charge"):
        processor.refund(charge_reference=charged.reference, amount_minor=1001, currency="EUR")
    with pytest.raises(ProcessorError, match="cannot exceed the charge"):
        processor.refund(charge_reference=charged.reference, amount_minor=1000, currency="DKK")
    with pytest.raises(ProcessorError, match="no approved charge"):
        processor.refund(charge_reference="ch_unknown", amount_minor=10, currency="EUR")
    declined = charge(processor, "4000000000000002", "key-declined")
    with pytest.raises(ProcessorError, match="no approved charge"):
        processor.refund(charge_reference=declined.reference, amount_minor=10, currency="EUR")
    first = processor.refund(charge_reference=charged.reference, amount_minor=1000, currency="eur")
    again = processor.refund(charge_reference=charged.reference, amount_minor=1000, currency="EUR")
    assert again == first and first.reference.startswith("re_") and first.currency == "EUR"
    assert processor.refund_ledger == [first]
    with pytest.raises(ProcessorError, match="already refunded with another amount"):
        processor.refund(charge_reference=charged.reference, amount_minor=500, currency="EUR")


# The books in a file: one processor for every process that names it (the demo and the server).

ACCEPTED = [
    ("4242424242424242", "987"),
    ("5555555555554444", "896"),
    ("378282246310005", "8765"),
]


def spellings(number: str) -> list[bytes]:
    groups = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    forms = [number, groups, groups.replace(" ", "-"), number[::-1]]
    return [f.encode() for f in forms] + [f.encode("utf-16-le") for f in forms]


def test_what_one_process_charged_another_refunds(tmp_path: Path) -> None:
    books = tmp_path / "var" / "payment-test-ledger.sqlite3"
    demo = LocalTestProcessor(name="payment-processor", ledger_path=books)
    charged = charge(demo, "4242424242424242", "demo-alice-order-4", amount=2500)
    assert charged.approved is True
    server = LocalTestProcessor(name="payment-processor", ledger_path=books)
    assert server.ledger == [charged]
    assert charge(server, "4242 4242 4242 4242", "demo-alice-order-4", amount=2500) == charged
    with pytest.raises(ProcessorError, match="used for a different request"):
        charge(server, "4242424242424242", "demo-alice-order-4", amount=2600)
    refund = server.refund(charge_reference=charged.reference, amount_minor=2500, currency="EUR")
    assert demo.refund_ledger == [refund]
    again = demo.refund(charge_reference=charged.reference, amount_minor=2500, currency="EUR")
    assert again == refund and len(server.refund_ledger) == 1
    assert oct(books.stat().st_mode & 0o777) == "0o600"


def test_a_token_from_one_process_is_charged_by_another(tmp_path: Path) -> None:
    """A token-only merchant's renewal: the demo tokenised the card, the server charges it."""
    books = tmp_path / "books.sqlite3"
    token = LocalTestProcessor(ledger_path=books).tokenize(
        card=CardNumber("4000000000000119"), expiry=CardExpiry(12, 2099)
    )
    server = LocalTestProcessor(ledger_path=books)

    def renew(processor: LocalTestProcessor, card: CardToken, key: str) -> ChargeResult:
        return processor.charge(
            amount_minor=900, currency="DKK", card=card, security_code=None, idempotency_key=key
        )

    first = renew(server, token, "renewal-key-1")
    assert (first.approved, first.retryable) == (False, True)  # the test card fails once
    retried = renew(LocalTestProcessor(ledger_path=books), token, "renewal-key-1")
    assert retried.approved is True and retried.card_token == token
    unknown = renew(server, CardToken("tok_unknown", token.brand, token.last4), "renewal-key-2")
    assert unknown.decline_reason is DeclineReason.UNKNOWN_TOKEN


@pytest.mark.clause("QS-5")
@pytest.mark.clause("QS-3")
def test_the_books_file_holds_no_card_number_or_security_code(tmp_path: Path) -> None:
    books = tmp_path / "books.sqlite3"
    processor = LocalTestProcessor(ledger_path=books)
    for index, (number, code) in enumerate(ACCEPTED):
        card = CardNumber(number)
        processor.charge(
            amount_minor=100 + index,
            currency="EUR",
            card=card,
            security_code=validate_security_code(code, card.brand),
            idempotency_key=f"key-books-{index}",
            expiry=CardExpiry(11, 2098),
        )
        processor.tokenize(card=card, expiry=CardExpiry(10, 2097))
    charge(processor, "4000000000009995", "key-books-declined")
    assert len(processor.ledger) == len(ACCEPTED)
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())  # with -wal, -journal
    assert b"4242" in stored  # the search works: last four digits are kept, as shown
    for number, code in ACCEPTED:
        assert not [form for form in spellings(number) if form in stored], number[-4:]
        # a code on its own, as a stored value would be (inside a hex token it is chance)
        assert not re.search(rb"(?<![0-9A-Za-z])" + code.encode() + rb"(?![0-9A-Za-z])", stored)
    assert not [form for form in spellings("4000000000009995") if form in stored]


@pytest.mark.clause("QS-5")
def test_processes_sharing_the_books_charge_a_key_once(tmp_path: Path) -> None:
    books = tmp_path / "books.sqlite3"
    LocalTestProcessor(ledger_path=books)  # the tables, before the race
    script = (
        "import sys\n"
        "from keepfaith.vault.cards import CardNumber\n"
        "from keepfaith.vault.processors import LocalTestProcessor\n"
        "p = LocalTestProcessor(ledger_path=sys.argv[1])\n"
        "r = p.charge(amount_minor=700, currency='EUR', card=CardNumber('5555555555554444'),\n"
        "             security_code=None, idempotency_key='key-process-race')\n"
        "print(r.reference)\n"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(books)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    references = {run.communicate(timeout=120)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(references) == 1 and references.pop().startswith("ch_")
    assert len(LocalTestProcessor(ledger_path=books).ledger) == 1
