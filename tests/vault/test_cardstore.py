from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keepfaith.vault.cards import CardNumber
from keepfaith.vault.cardstore import (
    CardStorage,
    DisclosureEvent,
    DisclosureRequest,
    card_disclose,
    card_store,
)
from keepfaith.vault.errors import VaultError
from keepfaith.vault.keyring import FileKeyRing
from keepfaith.vault.processors import LocalTestProcessor

PROCESSOR = "local-test-processor"


class PolicyViolation(Exception):
    pass


def declared_processor_only(request: DisclosureRequest) -> None:
    """Stands in for the gate's rule: only the declared payment processor may receive it."""
    if request.recipient != PROCESSOR:
        raise PolicyViolation(request.recipient)


@pytest.mark.clause("QS-5")
def test_encrypted_storage_keeps_only_sealed_number_and_masked_parts(keyring: FileKeyRing) -> None:
    card = CardNumber("4242424242424242")
    stored = card_store(
        card=card, record_id="order-1", storage=CardStorage.ENCRYPTED, keyring=keyring
    )
    assert stored.sealed is not None and "4242424242424242" not in stored.sealed
    assert (stored.masked(), repr(stored)) == (
        "Visa •••• 4242",
        "<StoredCard Visa •••• 4242 sealed>",
    )


@pytest.mark.clause("QS-5")
def test_disclosure_is_gated_and_every_attempt_audited(
    keyring: FileKeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
    monkeypatch.setattr("keepfaith.vault.cardstore._now", lambda: moment)
    card = CardNumber("5555555555554444")
    stored = card_store(
        card=card, record_id="order-7", storage=CardStorage.ENCRYPTED, keyring=keyring
    )
    audit: list[DisclosureEvent] = []

    def disclose(recipient: str, record_id: str = "order-7") -> CardNumber:
        return card_disclose(
            stored=stored,
            record_id=record_id,
            keyring=keyring,
            actor="bob",
            recipient=recipient,
            authorise=declared_processor_only,
            audit=audit.append,
        )

    assert disclose(PROCESSOR) == card
    with pytest.raises(PolicyViolation, match="marketing-partner"):
        disclose("marketing-partner")
    with pytest.raises(VaultError, match="does not belong to this record"):
        disclose(PROCESSOR, record_id="order-8")
    assert [(e.actor, e.at, e.record_id, e.outcome) for e in audit] == [
        ("bob", moment, "order-7", "disclosed"),
        ("bob", moment, "order-7", "refused"),
        ("bob", moment, "order-8", "failed"),
    ]
    assert "5555555555554444" not in repr(audit)


@pytest.mark.clause("QS-5")
def test_token_only_storage_keeps_nothing_to_decrypt(keyring: FileKeyRing) -> None:
    processor = LocalTestProcessor()
    card = CardNumber("4242424242424242")
    token = processor.tokenize(card=card)
    stored = card_store(
        card=card, record_id="order-1", storage=CardStorage.TOKEN_ONLY, card_token=token
    )
    refused: list[DisclosureEvent] = []
    assert (stored.sealed, stored.processor_token, stored.last4) == (None, token.token, "4242")
    with pytest.raises(VaultError, match="kept as a processor token only"):
        card_disclose(
            stored=stored,
            record_id="order-1",
            keyring=keyring,
            actor="bob",
            recipient=PROCESSOR,
            authorise=declared_processor_only,
            audit=refused.append,
        )
    assert [event.outcome for event in refused] == ["failed"]
    other = processor.tokenize(card=CardNumber("5555555555554444"))
    with pytest.raises(VaultError, match="token is for another card"):
        card_store(card=card, record_id="order-1", storage=CardStorage.TOKEN_ONLY, card_token=other)
