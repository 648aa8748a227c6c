"""Keeping a card per transaction, and the one way it is opened again: disclosure to the processor.

Rules kept here:

- In ``encrypted`` mode the number is kept only sealed (see :mod:`keepfaith.vault.envelope`),
  next to its brand and last four for display (PCI DSS 3.5.1, 3.4.1). In ``token-only`` mode
  only the processor's token, brand and last four are kept; there is nothing to decrypt.
- The security code is never an input here: it is never stored (PCI DSS 3.3.1).
- :func:`card_disclose` is the only function that decrypts. It first asks ``authorise``
  (the policy gate: the recipient must be the declared payment processor), and records every
  attempt through ``audit`` -- refused, failed or disclosed -- with the actor, the time, the
  record and the outcome (PCI DSS 10.2). The number is returned only after its audit entry
  has been written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from keepfaith.policy.trace import enforces
from keepfaith.vault.cards import CardBrand, CardNumber, masked
from keepfaith.vault.envelope import open_sealed, seal
from keepfaith.vault.errors import VaultError
from keepfaith.vault.keyring import KeyRing
from keepfaith.vault.processors import CardToken

PURPOSE = "card-number"


class CardStorage(StrEnum):
    """``KEEPFAITH_CARD_STORAGE``: keep the number sealed, or only the processor's token."""

    ENCRYPTED = "encrypted"
    TOKEN_ONLY = "token-only"  # noqa: S105 (a storage mode, not a secret)


@dataclass(frozen=True)
class StoredCard:
    """What is kept for one transaction. ``sealed`` is set only in ``encrypted`` mode."""

    brand: CardBrand
    last4: str
    sealed: str | None = None
    processor_token: str | None = None

    def masked(self) -> str:
        return masked(brand=self.brand, last4=self.last4)

    def __repr__(self) -> str:
        kept = "sealed" if self.sealed else "token-only"
        return f"<StoredCard {self.masked()} {kept}>"


@dataclass(frozen=True)
class DisclosureRequest:
    """What the gate is asked: may ``actor`` disclose ``record_id``'s card to ``recipient``?"""

    actor: str
    record_id: str
    recipient: str


@dataclass(frozen=True)
class DisclosureEvent:
    """One audit entry: who, when, which record, to whom, and the outcome (no card data)."""

    actor: str
    at: datetime
    record_id: str
    recipient: str
    outcome: str  # "disclosed", "refused" or "failed"
    reason: str = ""


def _now() -> datetime:
    """Seam for tests: the time stamped on audit entries."""
    return datetime.now(UTC)


@enforces("QS-5", "QS-3")
def card_store(
    *,
    card: CardNumber,
    record_id: str,
    storage: CardStorage,
    keyring: KeyRing | None = None,
    card_token: CardToken | None = None,
) -> StoredCard:
    """What to keep for a transaction's card under the merchant's storage choice."""
    if storage is CardStorage.TOKEN_ONLY:
        if card_token is None:
            raise VaultError("token-only storage needs the processor's card token")
        if (card_token.brand, card_token.last4) != (card.brand, card.last4):
            raise VaultError("the processor's card token is for another card")
        return StoredCard(card.brand, card.last4, processor_token=card_token.token)
    if keyring is None:
        raise VaultError("encrypted storage needs the key ring")
    digits = card.reveal_for_processor().encode("ascii")
    sealed = seal(digits, record_id=record_id, keyring=keyring, purpose=PURPOSE)
    return StoredCard(card.brand, card.last4, sealed=sealed)


def _open(stored: StoredCard, record_id: str, keyring: KeyRing) -> CardNumber:
    if stored.sealed is None:
        raise VaultError("this card was kept as a processor token only; there is no number")
    digits = open_sealed(stored.sealed, record_id=record_id, keyring=keyring, purpose=PURPOSE)
    text = digits.decode("ascii", "replace")
    if not (text.isascii() and text.isdigit()) or text[-4:] != stored.last4:
        raise VaultError("the opened card number does not match its record")
    return CardNumber._trusted(text, stored.brand)


@enforces("QS-5")
def card_disclose(
    *,
    stored: StoredCard,
    record_id: str,
    keyring: KeyRing,
    actor: str,
    recipient: str,
    authorise: Callable[[DisclosureRequest], object],
    audit: Callable[[DisclosureEvent], object],
) -> CardNumber:
    """Open a sealed card for the payment processor, gated and audited (see module docstring).

    ``authorise`` raises to refuse; its exception propagates after the refusal is audited.
    """
    request = DisclosureRequest(actor=actor, record_id=record_id, recipient=recipient)

    def record(outcome: str, reason: str = "") -> None:
        audit(DisclosureEvent(actor, _now(), record_id, recipient, outcome, reason))

    try:
        authorise(request)
    except Exception as exc:
        record("refused", type(exc).__name__)
        raise
    try:
        card = _open(stored, record_id, keyring)
    except VaultError as exc:
        record("failed", str(exc))
        raise
    record("disclosed")
    return card
