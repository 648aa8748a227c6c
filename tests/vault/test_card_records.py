"""Stored cards per transaction, gated and audited disclosure, and key rotation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.vault.cards import CardNumber
from keepfaith.vault.errors import VaultError
from keepfaith.vault.gateway import payment_processor, payment_recipient
from keepfaith.vault.keyring import FileKeyRing
from keepfaith.vault.models import StoredCardRecord
from keepfaith.vault.services import card_for_processor, card_keep, vault_rotate

NUMBERS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
BILLING = Actor("staff", "bill@staff.example")


def open_card(record, recipient=None):
    """Open a stored card as billing staff would, for ``recipient`` (the declared processor)."""
    now = in_force()
    target = recipient or payment_recipient(policy=now.policy)
    gate = now.gate(actor=BILLING)
    return card_for_processor(record=record, actor=BILLING, gate=gate, recipient=target)


@pytest.fixture
def cards(django_vault, alice):
    return [card_keep(card=CardNumber(n), subject=alice.customer_number) for n in NUMBERS]


@pytest.mark.clause("QS-5")
def test_a_stored_card_keeps_brand_last_four_and_only_a_sealed_number(cards):
    row = StoredCardRecord.objects.get(pk=cards[0].pk)
    assert row.masked() == "Visa •••• 4242" and str(row) == "Visa •••• 4242"
    assert row.sealed.startswith("kf1$aes256gcm$kek=1$")
    assert row.key_version == 1
    assert "4242424242424242" not in row.sealed
    assert row.processor_token == ""


@pytest.mark.clause("QS-5")
def test_token_only_storage_keeps_nothing_that_decrypts(django_vault, alice):
    django_vault.CARD_STORAGE = "token-only"
    card = CardNumber(NUMBERS[0])
    token = payment_processor(policy=in_force().policy).tokenize(card=card)
    row = card_keep(card=card, subject=alice.customer_number, card_token=token)
    assert row.sealed == "" and row.key_version is None
    assert row.processor_token == token.token
    with pytest.raises(VaultError, match="processor token only"):
        card_for_processor(
            record=row,
            actor=BILLING,
            gate=in_force().gate(actor=BILLING),
            recipient=payment_recipient(policy=in_force().policy),
        )


@pytest.mark.clause("QS-5")
def test_the_declared_processor_gets_the_number_and_the_disclosure_is_audited(cards, alice):
    recipient = payment_recipient(policy=in_force().policy)
    assert recipient == "payment-processor"
    card = card_for_processor(
        record=cards[1], actor=BILLING, gate=in_force().gate(actor=BILLING), recipient=recipient
    )
    assert card.reveal_for_processor() == NUMBERS[1]
    entry = AuditEntry.objects.get(action="vault.disclose")
    assert (entry.actor, entry.subject, entry.outcome) == (
        "bill@staff.example",
        alice.customer_number,
        "disclosed",
    )
    assert entry.detail["record"] == cards[1].record_id
    assert entry.detail["recipient"] == recipient and entry.detail["at"]
    assert NUMBERS[1] not in str(entry.detail)


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize("recipient", ["billing", "certificate-authority", "affiliates", "evil"])
def test_disclosure_to_anyone_but_the_declared_processor_is_refused_and_audited(cards, recipient):
    with pytest.raises(PolicyViolation):
        card_for_processor(
            record=cards[0], actor=BILLING, gate=in_force().gate(actor=BILLING), recipient=recipient
        )
    entry = AuditEntry.objects.get(action="vault.disclose")
    assert entry.outcome == "refused"
    assert entry.detail["recipient"] == recipient
    assert AuditEntry.objects.filter(action="gate.check", outcome="refused").exists()


@pytest.mark.clause("QS-3")
@pytest.mark.clause("QS-5")
def test_rotation_rewraps_every_card_in_batches_and_every_card_still_opens(cards, django_vault):
    report = vault_rotate(actor=Actor.system("test"), batch_size=3)
    assert (report.version, report.rewrapped, report.current_before) == (2, len(NUMBERS), 0)
    assert set(StoredCardRecord.objects.values_list("key_version", flat=True)) == {2}
    ring = FileKeyRing(django_vault.VAULT_KEYRING_PATH)
    assert [(v.version, v.status) for v in ring.versions()] == [(1, "retired"), (2, "current")]
    for row, number in zip(StoredCardRecord.objects.order_by("pk"), NUMBERS, strict=True):
        opened = card_for_processor(
            record=row,
            actor=BILLING,
            gate=in_force().gate(actor=BILLING),
            recipient=payment_recipient(policy=in_force().policy),
        )
        assert opened.reveal_for_processor() == number
    out = StringIO()
    call_command("vault", "rewrap", stdout=out)  # nothing left to do: idempotent
    assert "re-wrapped 0 card(s), 4 already under it" in out.getvalue()


@pytest.mark.clause("QS-3")
def test_the_vault_command_rotates_and_reports(cards):
    out = StringIO()
    call_command("vault", "rotate", stdout=out)
    assert "key version 2 is current; re-wrapped 4 card(s)" in out.getvalue()
    out = StringIO()
    call_command("vault", "status", stdout=out)
    assert "kek 1 retired  0 card(s)" in out.getvalue()
    assert "kek 2 current  4 card(s)" in out.getvalue()
    assert AuditEntry.objects.filter(action="vault.rotate", outcome="done").count() == 1


@pytest.mark.clause("QS-5")
def test_a_mistyped_key_ring_path_starts_no_new_ring_once_cards_are_sealed(
    cards, django_vault, tmp_path
):
    """A wrong KEEPFAITH_VAULT_KEYRING must not create a ring that opens none of the cards
    and then report them as re-wrapped: every vault command stops, naming the file."""
    wrong = tmp_path / "no-such-folder-typo" / "keyring.json"
    django_vault.VAULT_KEYRING_PATH = wrong
    for action in ("status", "rotate", "rewrap"):
        with pytest.raises(CommandError, match=r"does not exist, but 4 stored card\(s\)"):
            call_command("vault", action, stdout=StringIO())
    assert not wrong.exists()
    assert set(StoredCardRecord.objects.values_list("key_version", flat=True)) == {1}
    assert not AuditEntry.objects.filter(action="vault.rotate").exists()


@pytest.mark.clause("QS-5")
def test_a_key_ring_that_does_not_open_the_cards_changes_nothing(cards, django_vault, tmp_path):
    """Another ring with the same version numbers (a copy from another install, say) is
    found out before a new key is added or a card is touched."""
    other = tmp_path / "other" / "keyring.json"
    FileKeyRing(other)  # a fresh ring: version 1, but another key
    django_vault.VAULT_KEYRING_PATH = other
    before = list(StoredCardRecord.objects.order_by("pk").values_list("sealed", flat=True))
    for action in ("rotate", "rewrap", "status"):
        with pytest.raises(CommandError, match="does not open the cards sealed under"):
            call_command("vault", action, stdout=StringIO())
    assert [(v.version, v.status) for v in FileKeyRing(other).versions()] == [(1, "current")]
    assert list(StoredCardRecord.objects.order_by("pk").values_list("sealed", flat=True)) == before


@pytest.mark.clause("QS-5")
def test_status_names_cards_under_a_version_the_ring_lacks(cards, django_vault):
    StoredCardRecord.objects.filter(pk=cards[0].pk).update(key_version=7)
    out = StringIO()
    with pytest.raises(CommandError, match="key version 7, which the key ring"):
        call_command("vault", "status", stdout=out)
    assert "kek 7 missing  1 card(s)" in out.getvalue()
