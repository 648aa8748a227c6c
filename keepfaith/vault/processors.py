"""Payment processors behind one adapter interface, and a local test processor.

Rules kept here:

- The vault hands a processor the card in memory only; a processor returns a reference and,
  where it tokenises, a :class:`CardToken` (processor token, brand, last four) that a merchant
  in ``token-only`` mode keeps instead of the number.
- An idempotency key makes a retried charge safe: the same key with the same request returns
  the first result without charging again; the same key with a different request is refused.

A real adapter (Stripe, Adyen, Nets, ...) is a class with the :class:`PaymentProcessor`
methods: ``charge`` sends the amount, the card digits from ``card.reveal_for_processor()`` and
the security code from ``security_code.reveal_for_processor()`` over TLS to the gateway, passes
``idempotency_key`` as the gateway's idempotency header, and maps the gateway's answer to a
:class:`ChargeResult` (decline codes to :class:`DeclineReason`). It must not log the request.

``LocalTestProcessor`` keeps its state (tokens, idempotency keys, the charge ledger) in memory,
per instance, guarded by a lock; it forgets everything when the process ends.

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
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
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


@runtime_checkable
class PaymentProcessor(Protocol):
    """The adapter interface; ``name`` is the recipient the policy declares for payments."""

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


TEST_DECLINES = {
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000002": DeclineReason.DO_NOT_HONOUR,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
}
TEST_RETRY_ONCE = "4000000000000119"


@dataclass
class _State:
    tokens: dict[str, tuple[CardNumber, CardExpiry | None]] = field(default_factory=dict)
    results: dict[str, tuple[str, ChargeResult]] = field(default_factory=dict)
    retried: set[str] = field(default_factory=set)
    ledger: list[ChargeResult] = field(default_factory=list)


def _check_request(amount_minor: int, currency: str, idempotency_key: str) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ProcessorError("the amount must be a positive whole number of minor units")
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ProcessorError("the currency must be a three-letter ISO 4217 code")
    if not 8 <= len(idempotency_key) <= 255:
        raise ProcessorError("an idempotency key has 8 to 255 characters")


class LocalTestProcessor:
    """A local gateway for tests and demos; see the module docstring for its test cards."""

    def __init__(self, *, name: str = "local-test-processor") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._state = _State()

    @property
    def ledger(self) -> list[ChargeResult]:
        """Approved charges, in order: what the merchant's account would be credited."""
        with self._lock:
            return list(self._state.ledger)

    def tokenize(self, *, card: CardNumber, expiry: CardExpiry | None = None) -> CardToken:
        token = CardToken(f"tok_{secrets.token_hex(12)}", card.brand, card.last4)
        with self._lock:
            self._state.tokens[token.token] = (card, expiry)
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
        with self._lock:
            number, expiry = self._resolve(card, expiry)
            fingerprint = self._fingerprint(amount_minor, currency, card, number)
            earlier = self._state.results.get(idempotency_key)
            if earlier is not None:
                if earlier[0] != fingerprint:
                    raise ProcessorError(
                        "this idempotency key was used for a different request; "
                        "use a new key for a new charge"
                    )
                return earlier[1]
            result = self._decide(amount_minor, currency, card, number, expiry, idempotency_key)
            if result.decline_reason is not DeclineReason.PROCESSING_ERROR:
                self._state.results[idempotency_key] = (fingerprint, result)
            if result.approved:
                self._state.ledger.append(result)
            return result

    def _resolve(
        self, card: CardNumber | CardToken, expiry: CardExpiry | None
    ) -> tuple[CardNumber | None, CardExpiry | None]:
        if isinstance(card, CardNumber):
            return card, expiry
        stored = self._state.tokens.get(card.token)
        return (stored[0], stored[1]) if stored else (None, None)

    @staticmethod
    def _fingerprint(
        amount: int, currency: str, card: CardNumber | CardToken, number: CardNumber | None
    ) -> str:
        source = card.token if isinstance(card, CardToken) else ""
        digits = number.reveal_for_processor() if number else ""
        payload = f"{amount}|{currency}|{source}|{digits}".encode()
        return hashlib.sha256(payload).hexdigest()

    def _decide(
        self,
        amount: int,
        currency: str,
        card: CardNumber | CardToken,
        number: CardNumber | None,
        expiry: CardExpiry | None,
        key: str,
    ) -> ChargeResult:
        shown = card.masked()
        reference = f"ch_{secrets.token_hex(12)}"
        reason = self._decline_reason(number, expiry, key, today=_today())
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
        if token is None and number is not None:
            token = CardToken(f"tok_{secrets.token_hex(12)}", number.brand, number.last4)
            self._state.tokens[token.token] = (number, expiry)
        return ChargeResult(True, reference, amount, currency, shown, card_token=token)

    def _decline_reason(
        self, number: CardNumber | None, expiry: CardExpiry | None, key: str, *, today: date
    ) -> DeclineReason | None:
        if number is None:
            return DeclineReason.UNKNOWN_TOKEN
        digits = number.reveal_for_processor()
        if expiry is not None and expiry.expired(today=today):
            return DeclineReason.EXPIRED_CARD
        if digits == TEST_RETRY_ONCE and key not in self._state.retried:
            self._state.retried.add(key)
            return DeclineReason.PROCESSING_ERROR
        return TEST_DECLINES.get(digits)
