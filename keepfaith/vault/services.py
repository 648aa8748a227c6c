"""Writes of the card vault: keep a transaction's card, disclose it to the processor, rotate.

Rules kept here:

- ``card_keep`` stores what ``KEEPFAITH_CARD_STORAGE`` allows: the number sealed under the
  current key version (``encrypted``), or only the processor's token (``token-only``); brand
  and last four either way. The security code is never an argument here: it cannot be kept.
- ``card_for_processor`` is the only decryption: it asks the gate whether the recipient may
  receive card data for payment processing (only the processor the policy declares may) and
  writes an audit entry for every attempt with actor, time, record and outcome (PCI 10.2).
- ``vault_rotate`` adds a key version and re-wraps every sealed row under it in batches; the
  card ciphertext is untouched, retired versions keep unwrapping, and re-running it (or
  ``vault_rewrap``) after an interruption finishes the job without loss.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import Gate
from keepfaith.policy.trace import enforces
from keepfaith.vault.cards import CardNumber
from keepfaith.vault.cardstore import (
    CardStorage,
    DisclosureEvent,
    DisclosureRequest,
    card_disclose,
    card_store,
)
from keepfaith.vault.envelope import rewrap, sealed_key_version, sealed_opens
from keepfaith.vault.errors import KeyRingError
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE
from keepfaith.vault.keyring import FileKeyRing
from keepfaith.vault.models import StoredCardRecord
from keepfaith.vault.processors import CardToken

_lock = threading.Lock()
_keyrings: dict[Path, FileKeyRing] = {}


def vault_keyring() -> FileKeyRing:
    """The key ring at ``KEEPFAITH_VAULT_KEYRING``: created on first use (mode 0600) while no
    card is sealed; once cards are, a missing ring is an error (a mistyped path must not
    start a new ring that opens none of them)."""
    path = Path(settings.VAULT_KEYRING_PATH)
    with _lock:
        ring = _keyrings.get(path)
        if ring is None:
            sealed = not path.exists() and StoredCardRecord.objects.exclude(sealed="").exists()
            try:
                ring = FileKeyRing(path, create=not sealed)
            except KeyRingError:
                count = StoredCardRecord.objects.exclude(sealed="").count()
                raise KeyRingError(
                    f"the key ring {path} does not exist, but {count} stored card(s) are "
                    "sealed under a key ring: restore its file from your backup, or set "
                    "KEEPFAITH_VAULT_KEYRING to where it is"
                ) from None
            _keyrings[path] = ring
    return ring


def vault_keyring_check(ring: FileKeyRing) -> None:
    """Raise ``KeyRingError`` unless ``ring`` opens the stored cards: every key version they
    are sealed under is in it, and it opens one card of each (a different ring can hold the
    same version numbers)."""
    held = {version.version for version in ring.versions()}
    for version in (
        StoredCardRecord.objects.exclude(sealed="")
        .values_list("key_version", flat=True)
        .distinct()
        .order_by("key_version")
    ):
        count = StoredCardRecord.objects.exclude(sealed="").filter(key_version=version).count()
        if version not in held:
            raise KeyRingError(
                f"{count} stored card(s) are sealed under key version {version}, which the key "
                f"ring {ring.path} does not hold: is KEEPFAITH_VAULT_KEYRING the right file?"
            )
        samples = StoredCardRecord.objects.exclude(sealed="").filter(key_version=version)[:5]
        if not any(
            sealed_opens(row.sealed, record_id=row.record_id, keyring=ring) for row in samples
        ):  # one altered card does not stop a rotation; five that do not open are a wrong ring
            raise KeyRingError(
                f"the key ring {ring.path} does not open the cards sealed under its key version "
                f"{version} ({count} card(s)): is KEEPFAITH_VAULT_KEYRING the right file?"
            )


@enforces("QS-5", "QS-3")
def card_keep(
    *, card: CardNumber, subject: str, card_token: CardToken | None = None
) -> StoredCardRecord:
    """Store one transaction's card as the storage setting allows (never the security code)."""
    storage = CardStorage(settings.CARD_STORAGE)
    record_id = f"card_{secrets.token_hex(16)}"
    stored = card_store(
        card=card,
        record_id=record_id,
        storage=storage,
        keyring=vault_keyring() if storage is CardStorage.ENCRYPTED else None,
        card_token=card_token,
    )
    row = StoredCardRecord(
        record_id=record_id,
        subject=subject,
        brand=stored.brand.value,
        last4=stored.last4,
        storage=storage.value,
        sealed=stored.sealed or "",
        key_version=sealed_key_version(stored.sealed) if stored.sealed else None,
        processor_token=stored.processor_token or "",
    )
    row.full_clean()
    row.save()
    return row


def _disclosure_audit(subject: str, actor: Actor) -> Callable[[DisclosureEvent], None]:
    def record(event: DisclosureEvent) -> None:
        audit_append(
            actor=actor,
            action="vault.disclose",
            outcome=event.outcome,
            subject=subject,
            categories=[CARD_CATEGORY],
            use=PAYMENT_USE,
            clauses=["QS-5", "QS-3"],
            detail={
                "record": event.record_id,
                "recipient": event.recipient,
                "at": event.at.isoformat(),
                "reason": event.reason[:200],
            },
        )

    return record


@enforces("QS-5")
def card_for_processor(
    *, record: StoredCardRecord, actor: Actor, recipient: str, gate: Gate
) -> CardNumber:
    """Open ``record``'s card for ``recipient``: gated (only the declared processor) and audited.

    Raises ``PolicyViolation`` for any other recipient (after auditing the refusal) and
    ``VaultError`` when the row cannot be opened (token-only, tampered, key missing).
    ``gate`` is the policy in force's, auditing as ``actor``.
    """

    def authorise(request: DisclosureRequest) -> None:
        gate.require(
            use=PAYMENT_USE,
            categories=[CARD_CATEGORY],
            subject=record.subject,
            recipient=request.recipient,
            purpose_context=f"card disclosure of {request.record_id}",
        )

    return card_disclose(
        stored=record.stored(),
        record_id=record.record_id,
        keyring=vault_keyring(),
        actor=actor.ref,
        recipient=recipient,
        authorise=authorise,
        audit=_disclosure_audit(record.subject, actor),
    )


@dataclass(frozen=True)
class RotationReport:
    version: int
    rewrapped: int
    current_before: int
    token_only: int

    def __str__(self) -> str:
        return (
            f"key version {self.version} is current; re-wrapped {self.rewrapped} card(s), "
            f"{self.current_before} already under it, {self.token_only} token-only (no key)"
        )


def vault_rewrap(
    *, batch_size: int = 500, progress: Callable[[int, int], None] | None = None
) -> RotationReport:
    """Re-wrap every sealed row not yet under the current key version, a batch at a time;
    ``progress(done, total)`` after each batch (a command's progress bar)."""
    ring = vault_keyring()
    vault_keyring_check(ring)
    version = ring.current_version
    sealed = StoredCardRecord.objects.exclude(sealed="")
    already = sealed.filter(key_version__gte=version).count()
    total = sealed.filter(key_version__lt=version).count()
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                sealed.filter(key_version__lt=version)
                .select_for_update()
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            for row in batch:
                row.sealed = rewrap(row.sealed, record_id=row.record_id, keyring=ring)
                row.key_version = sealed_key_version(row.sealed)
            StoredCardRecord.objects.bulk_update(batch, ["sealed", "key_version"])
            done += len(batch)
        if progress is not None:
            progress(done, total)
    token_only = StoredCardRecord.objects.filter(sealed="").count()
    return RotationReport(version, done, already, token_only)


@enforces("QS-3")
def vault_rotate(
    *, actor: Actor, batch_size: int = 500, progress: Callable[[int, int], None] | None = None
) -> RotationReport:
    """Add a new key version, then re-wrap every stored card under it (PCI DSS 3.7.4)."""
    ring = vault_keyring()
    vault_keyring_check(ring)  # before a new version is added: a wrong ring changes nothing
    ring.rotate()
    report = vault_rewrap(batch_size=batch_size, progress=progress)
    audit_append(
        actor=actor,
        action="vault.rotate",
        outcome="done",
        categories=[CARD_CATEGORY],
        use=PAYMENT_USE,
        clauses=["QS-3"],
        detail={"version": report.version, "rewrapped": report.rewrapped},
    )
    return report


def cards_erase(subject: str) -> None:
    """Destroy the subject's stored cards (RIGHTS-17): the sealed number and the processor's
    token; the masked label stays with the orders it paid for until they go."""
    StoredCardRecord.objects.filter(subject=subject).update(
        sealed="", processor_token="", key_version=None
    )


def card_labels_erase(subject: str) -> None:
    """Blank the masked labels (brand, last four) once the orders they paid for are erased."""
    StoredCardRecord.objects.filter(subject=subject).update(brand="", last4="")
