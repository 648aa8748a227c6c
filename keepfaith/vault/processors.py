"""Payment processors behind one adapter interface, and a local test processor.

Rules kept here:

- The vault hands a processor the card in memory only; a processor returns a reference and,
  where it tokenises, a :class:`CardToken` (processor token, brand, last four) that a merchant
  in ``token-only`` mode keeps instead of the number.
- An idempotency key makes a retried charge safe: the same key with the same request returns
  the first result without charging again; the same key with a different request is refused.
- A refund names the charge it pays back (its reference, no card data) and is idempotent on
  that reference: asking again returns the first refund without paying out twice. A refund of
  more than was charged, or of a charge the processor does not know, is refused.

A real adapter (Stripe, Adyen, Nets, ...) is a class with the :class:`PaymentProcessor`
methods: ``charge`` sends the amount, the card digits from ``card.reveal_for_processor()`` and
the security code from ``security_code.reveal_for_processor()`` over TLS to the gateway, passes
``idempotency_key`` as the gateway's idempotency header, and maps the gateway's answer to a
:class:`ChargeResult` (decline codes to :class:`DeclineReason`). It must not log the request.

``refund`` sends the charge reference and the amount and maps the answer to a
:class:`RefundResult`.

``LocalTestProcessor`` keeps its books (tokens, idempotency keys, the charge and refund ledgers)
in memory, per instance, guarded by a lock, and forgets them when the process ends; or, given
``ledger_path``, in that SQLite file, so that processes sharing it see one processor (the
demo's charges refunded by the server). Either way it keeps only what a real processor returns
and what it needs to answer again: references, amounts, masked cards, tokens with brand, last
four, expiry and the test card's outcome; never a card number or a security code.

Test cards (any future expiry, any security code of the right length):

=====================  =====================================================================
number                 outcome
=====================  =====================================================================
4242 4242 4242 4242    Visa, approved
5555 5555 5555 4444    Mastercard, approved
2223 0031 2200 3222    Mastercard (2-series), approved
3782 822463 10005      American Express, approved
6011 1111 1111 1117    Discover, approved
4000 0000 0000 9995    declined: insufficient funds
4000 0000 0000 0002    declined: do not honour
4000 0000 0000 0069    declined: expired card
4000 0000 0000 0119    first attempt fails with a retryable processing error; a retry with
                       the same idempotency key is approved
=====================  =====================================================================

Every other valid number is approved.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from keepfaith.vault.cards import CardBrand, CardExpiry, CardNumber, SecurityCode, _today, masked


class DeclineReason(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DO_NOT_HONOUR = "do_not_honour"
    EXPIRED_CARD = "expired_card"
    PROCESSING_ERROR = "processing_error"  # temporary: retry with the same idempotency key
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 (a decline code)


class ProcessorError(Exception):
    """The request itself is wrong (not a decline): e.g. an idempotency key reused."""


@dataclass(frozen=True)
class CardToken:
    """What a ``token-only`` merchant keeps: the processor's token, brand and last four."""

    token: str
    brand: CardBrand
    last4: str

    def masked(self) -> str:
        return masked(brand=self.brand, last4=self.last4)


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    reference: str
    amount_minor: int
    currency: str
    card: str  # masked, e.g. "Visa •••• 4242"
    decline_reason: DeclineReason | None = None
    retryable: bool = False
    card_token: CardToken | None = None


@dataclass(frozen=True)
class RefundResult:
    reference: str
    charge_reference: str
    amount_minor: int
    currency: str


@runtime_checkable
class PaymentProcessor(Protocol):
    """The adapter interface; ``name`` is the key of the recipient the policy declares for
    payments (``payment-processor``), which the gate and the audit log name it by; people
    read the policy's ``name`` for that key instead."""

    name: str

    def charge(
        self,
        *,
        amount_minor: int,
        currency: str,
        card: CardNumber | CardToken,
        security_code: SecurityCode | None,
        idempotency_key: str,
        expiry: CardExpiry | None = None,
    ) -> ChargeResult: ...

    def tokenize(self, *, card: CardNumber, expiry: CardExpiry | None = None) -> CardToken: ...

    def refund(self, *, charge_reference: str, amount_minor: int, currency: str) -> RefundResult:
        """Pay back ``amount_minor`` of the charge ``charge_reference``, once per charge."""
        ...


TEST_DECLINES = {
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000002": DeclineReason.DO_NOT_HONOUR,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
}
TEST_RETRY_ONCE = "4000000000000119"


def _check_request(amount_minor: int, currency: str, idempotency_key: str) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ProcessorError("the amount must be a positive whole number of minor units")
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ProcessorError("the currency must be a three-letter ISO 4217 code")
    if not 8 <= len(idempotency_key) <= 255:
        raise ProcessorError("an idempotency key has 8 to 255 characters")


@dataclass(frozen=True)
class _Card:
    """What the local processor keeps of a tokenised card: what a real one returns about it
    (brand, last four, expiry) and which test outcome it has; never the number or the code."""

    brand: CardBrand
    last4: str
    expiry: CardExpiry | None
    outcome: str  # "" (approve), a DeclineReason value, or RETRY_ONCE


RETRY_ONCE = "retry-once"


def _card_of(number: CardNumber, expiry: CardExpiry | None) -> _Card:
    digits = number.reveal_for_processor()
    decline = TEST_DECLINES.get(digits)
    outcome = RETRY_ONCE if digits == TEST_RETRY_ONCE else (decline.value if decline else "")
    return _Card(number.brand, number.last4, expiry, outcome)


class _Ledger(Protocol):
    """The processor's books, read and written inside one ``transaction()`` at a time."""

    def transaction(self) -> AbstractContextManager[_Books]: ...


class _Books(Protocol):
    def token(self, token: str) -> _Card | None: ...
    def token_add(self, token: str, card: _Card) -> None: ...
    def result(self, key: str) -> tuple[str, ChargeResult] | None: ...
    def result_add(self, key: str, fingerprint: str, result: ChargeResult) -> None: ...
    def charge(self, reference: str) -> ChargeResult | None: ...
    def charges(self) -> list[ChargeResult]: ...
    def retried(self, key: str) -> bool: ...
    def retried_add(self, key: str) -> None: ...
    def refund(self, charge_reference: str) -> RefundResult | None: ...
    def refund_add(self, result: RefundResult) -> None: ...
    def refunds(self) -> list[RefundResult]: ...


@dataclass
class _MemoryBooks:
    """The books in this process's memory (the default: tests, and forgotten at exit)."""

    tokens: dict[str, _Card] = field(default_factory=dict)
    results: dict[str, tuple[str, ChargeResult]] = field(default_factory=dict)
    retried_keys: set[str] = field(default_factory=set)
    ledger: list[ChargeResult] = field(default_factory=list)
    refunded: dict[str, RefundResult] = field(default_factory=dict)

    def token(self, token: str) -> _Card | None:
        return self.tokens.get(token)

    def token_add(self, token: str, card: _Card) -> None:
        self.tokens[token] = card

    def result(self, key: str) -> tuple[str, ChargeResult] | None:
        return self.results.get(key)

    def result_add(self, key: str, fingerprint: str, result: ChargeResult) -> None:
        self.results[key] = (fingerprint, result)
        if result.approved:
            self.ledger.append(result)

    def charge(self, reference: str) -> ChargeResult | None:
        return next((c for c in self.ledger if c.reference == reference), None)

    def charges(self) -> list[ChargeResult]:
        return list(self.ledger)

    def retried(self, key: str) -> bool:
        return key in self.retried_keys

    def retried_add(self, key: str) -> None:
        self.retried_keys.add(key)

    def refund(self, charge_reference: str) -> RefundResult | None:
        return self.refunded.get(charge_reference)

    def refund_add(self, result: RefundResult) -> None:
        self.refunded[result.charge_reference] = result

    def refunds(self) -> list[RefundResult]:
        return list(self.refunded.values())


class _MemoryLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._books = _MemoryBooks()

    @contextmanager
    def transaction(self) -> Iterator[_Books]:
        with self._lock:
            yield self._books


_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, brand TEXT NOT NULL, last4 TEXT NOT NULL,
    expiry_month INTEGER, expiry_year INTEGER, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL, reference TEXT NOT NULL UNIQUE, approved INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, card TEXT NOT NULL,
    decline_reason TEXT, retryable INTEGER NOT NULL, token TEXT, brand TEXT, last4 TEXT);
CREATE TABLE IF NOT EXISTS retried (idempotency_key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, charge_reference TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL);
"""
_CHARGE_COLUMNS = (
    "reference, approved, amount_minor, currency, card, decline_reason, retryable, token, "
    "brand, last4"
)


def _charge_row(row: sqlite3.Row | tuple[object, ...]) -> ChargeResult:
    ref, approved, amount, currency, card, reason, retryable, token, brand, last4 = row
    return ChargeResult(
        approved=bool(approved),
        reference=str(ref),
        amount_minor=int(str(amount)),
        currency=str(currency),
        card=str(card),
        decline_reason=DeclineReason(str(reason)) if reason else None,
        retryable=bool(retryable),
        card_token=CardToken(str(token), CardBrand(str(brand)), str(last4)) if token else None,
    )


class _FileBooks:
    """The books in an SQLite file, inside the caller's write transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def token(self, token: str) -> _Card | None:
        row = self.db.execute(
            "SELECT brand, last4, expiry_month, expiry_year, outcome FROM tokens WHERE token = ?",
            (token,),
        ).fetchone()
        if row is None:
            return None
        brand, last4, month, year, outcome = row
        expiry = CardExpiry(month, year) if month is not None else None
        return _Card(CardBrand(brand), last4, expiry, outcome)

    def token_add(self, token: str, card: _Card) -> None:
        month, year = (card.expiry.month, card.expiry.year) if card.expiry else (None, None)
        self.db.execute(
            "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
            (token, card.brand.value, card.last4, month, year, card.outcome),
        )

    def result(self, key: str) -> tuple[str, ChargeResult] | None:
        row = self.db.execute(
            f"SELECT fingerprint, {_CHARGE_COLUMNS} FROM charges WHERE idempotency_key = ?",  # noqa: S608
            (key,),
        ).fetchone()
        return None if row is None else (row[0], _charge_row(row[1:]))

    def result_add(self, key: str, fingerprint: str, result: ChargeResult) -> None:
        token = result.card_token
        self.db.execute(
            "INSERT INTO charges (idempotency_key, fingerprint, reference, approved, amount_minor,"
            " currency, card, decline_reason, retryable, token, brand, last4)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key, fingerprint, result.reference, int(result.approved), result.amount_minor,
                result.currency, result.card,
                result.decline_reason.value if result.decline_reason else None,
                int(result.retryable), token.token if token else None,
                token.brand.value if token else None, token.last4 if token else None,
            ),
        )  # fmt: skip

    def charge(self, reference: str) -> ChargeResult | None:
        row = self.db.execute(
            f"SELECT {_CHARGE_COLUMNS} FROM charges WHERE reference = ? AND approved = 1",  # noqa: S608
            (reference,),
        ).fetchone()
        return None if row is None else _charge_row(row)

    def charges(self) -> list[ChargeResult]:
        rows = self.db.execute(
            f"SELECT {_CHARGE_COLUMNS} FROM charges WHERE approved = 1 ORDER BY seq"  # noqa: S608
        )
        return [_charge_row(row) for row in rows]

    def retried(self, key: str) -> bool:
        found = self.db.execute("SELECT 1 FROM retried WHERE idempotency_key = ?", (key,))
        return found.fetchone() is not None

    def retried_add(self, key: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO retried VALUES (?)", (key,))

    def refund(self, charge_reference: str) -> RefundResult | None:
        row = self.db.execute(
            "SELECT reference, charge_reference, amount_minor, currency FROM refunds"
            " WHERE charge_reference = ?",
            (charge_reference,),
        ).fetchone()
        return None if row is None else RefundResult(*row)

    def refund_add(self, result: RefundResult) -> None:
        self.db.execute(
            "INSERT INTO refunds (charge_reference, reference, amount_minor, currency)"
            " VALUES (?, ?, ?, ?)",
            (result.charge_reference, result.reference, result.amount_minor, result.currency),
        )

    def refunds(self) -> list[RefundResult]:
        rows = self.db.execute(
            "SELECT reference, charge_reference, amount_minor, currency FROM refunds ORDER BY seq"
        )
        return [RefundResult(*row) for row in rows]


class _FileLedger:
    """The books in an SQLite file that every process using it shares (``make run``: the demo
    charges, the server refunds). Each operation is one ``BEGIN IMMEDIATE`` transaction, so
    concurrent processes take turns; the file is created mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            db.executescript(_SCHEMA)  # idempotent: every table IF NOT EXISTS
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[_Books]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield _FileBooks(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()


class LocalTestProcessor:
    """A local gateway for tests and demos; see the module docstring for its test cards.

    ``ledger_path`` keeps its books in that SQLite file, shared by every process that names
    it; without one they stay in this instance's memory.
    """

    def __init__(
        self,
        *,
        name: str = "local-test-processor",
        ledger_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.name = name
        self._books: _Ledger = _FileLedger(Path(ledger_path)) if ledger_path else _MemoryLedger()

    @property
    def ledger(self) -> list[ChargeResult]:
        """Approved charges, in order: what the merchant's account would be credited."""
        with self._books.transaction() as books:
            return books.charges()

    @property
    def refund_ledger(self) -> list[RefundResult]:
        """Refunds paid out, in order: what the merchant's account would be debited."""
        with self._books.transaction() as books:
            return books.refunds()

    def refund(self, *, charge_reference: str, amount_minor: int, currency: str) -> RefundResult:
        """Refund a charge once: a repeated identical request gets the first refund."""
        if not charge_reference:
            raise ProcessorError("a refund names the charge it pays back")
        _check_request(amount_minor, currency, "refund-" + charge_reference)
        currency = currency.upper()
        with self._books.transaction() as books:
            earlier = books.refund(charge_reference)
            if earlier is not None:
                if (earlier.amount_minor, earlier.currency) != (amount_minor, currency):
                    raise ProcessorError("this charge was already refunded with another amount")
                return earlier
            charge = books.charge(charge_reference)
            if charge is None:
                raise ProcessorError("no approved charge has this reference")
            if currency != charge.currency or amount_minor > charge.amount_minor:
                raise ProcessorError("a refund cannot exceed the charge it pays back")
            result = RefundResult(
                f"re_{secrets.token_hex(12)}", charge_reference, amount_minor, currency
            )
            books.refund_add(result)
            return result

    def tokenize(self, *, card: CardNumber, expiry: CardExpiry | None = None) -> CardToken:
        token = CardToken(f"tok_{secrets.token_hex(12)}", card.brand, card.last4)
        with self._books.transaction() as books:
            books.token_add(token.token, _card_of(card, expiry))
        return token

    def charge(
        self,
        *,
        amount_minor: int,
        currency: str,
        card: CardNumber | CardToken,
        security_code: SecurityCode | None,
        idempotency_key: str,
        expiry: CardExpiry | None = None,
    ) -> ChargeResult:
        """Charge once per idempotency key; a repeated identical request gets the first result."""
        _check_request(amount_minor, currency, idempotency_key)
        currency = currency.upper()
        with self._books.transaction() as books:
            found = (
                _card_of(card, expiry) if isinstance(card, CardNumber) else books.token(card.token)
            )
            fingerprint = self._fingerprint(amount_minor, currency, card, found)
            earlier = books.result(idempotency_key)
            if earlier is not None:
                if earlier[0] != fingerprint:
                    raise ProcessorError(
                        "this idempotency key was used for a different request; "
                        "use a new key for a new charge"
                    )
                return earlier[1]
            result = self._decide(books, amount_minor, currency, card, found, idempotency_key)
            if result.decline_reason is not DeclineReason.PROCESSING_ERROR:
                books.result_add(idempotency_key, fingerprint, result)
            return result

    @staticmethod
    def _fingerprint(
        amount: int, currency: str, card: CardNumber | CardToken, found: _Card | None
    ) -> str:
        """The request, for idempotency: amount, currency, token and what is known of the card
        (brand, last four, expiry; never the number, which the books must not hold). Two cards
        alike in all of these under one key count as one request: a test processor's limit,
        which a real processor, holding the number, does not have."""
        source = card.token if isinstance(card, CardToken) else ""
        about = f"{found.brand}|{found.last4}|{found.expiry}" if found else ""
        return hashlib.sha256(f"{amount}|{currency}|{source}|{about}".encode()).hexdigest()

    def _decide(
        self,
        books: _Books,
        amount: int,
        currency: str,
        card: CardNumber | CardToken,
        found: _Card | None,
        key: str,
    ) -> ChargeResult:
        shown = card.masked()
        reference = f"ch_{secrets.token_hex(12)}"
        reason = self._decline_reason(books, found, key, today=_today())
        if reason is not None:
            return ChargeResult(
                approved=False,
                reference=reference,
                amount_minor=amount,
                currency=currency,
                card=shown,
                decline_reason=reason,
                retryable=reason is DeclineReason.PROCESSING_ERROR,
            )
        token = card if isinstance(card, CardToken) else None
        if token is None and found is not None:
            token = CardToken(f"tok_{secrets.token_hex(12)}", found.brand, found.last4)
            books.token_add(token.token, found)
        return ChargeResult(True, reference, amount, currency, shown, card_token=token)

    @staticmethod
    def _decline_reason(
        books: _Books, found: _Card | None, key: str, *, today: date
    ) -> DeclineReason | None:
        if found is None:
            return DeclineReason.UNKNOWN_TOKEN
        if found.expiry is not None and found.expiry.expired(today=today):
            return DeclineReason.EXPIRED_CARD
        if found.outcome == RETRY_ONCE:
            if books.retried(key):
                return None
            books.retried_add(key)
            return DeclineReason.PROCESSING_ERROR
        return DeclineReason(found.outcome) if found.outcome else None
