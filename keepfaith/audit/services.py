"""Writes to hash chains: ``chain_append`` for any chained model, ``audit_append`` for the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from keepfaith.audit import chain
from keepfaith.audit.models import ActorKind, AuditEntry, ChainedRecord, ChainHead

R = TypeVar("R", bound=ChainedRecord)


def sealing_key() -> bytes:
    return str(settings.AUDIT_KEY).encode("utf-8")


def sealing_keys() -> dict[str, bytes]:
    """The current sealing key and retired ones (KEEPFAITH_AUDIT_KEY_FALLBACKS), by key id."""
    keys = [sealing_key()] + [k.encode() for k in settings.AUDIT_KEY_FALLBACKS]
    return {chain.key_id(key): key for key in keys}


def chain_append(model: type[R], **fields: Any) -> R:
    """Append one record to ``model``'s chain.

    The chain head row is locked for the length of the transaction (``SELECT ... FOR UPDATE``
    on PostgreSQL; SQLite's IMMEDIATE transactions take the write lock up front), so parallel
    writers queue and the chain never forks.
    """
    key = sealing_key()
    with transaction.atomic():
        ChainHead.objects.bulk_create(
            [ChainHead(chain=model.CHAIN, seq=0, hash=chain.GENESIS)], ignore_conflicts=True
        )
        head = ChainHead.objects.select_for_update().get(chain=model.CHAIN)
        record = model(seq=head.seq + 1, prev_hash=head.hash, **fields)
        record.full_clean(exclude=["seq", "prev_hash", "entry_hash", "seal", "key_id"])
        record.entry_hash = chain.entry_hash(record.prev_hash, record.chain_payload())
        record.seal = chain.seal(key, record.entry_hash)
        record.key_id = chain.key_id(key)
        record.save(force_insert=True)
        head.seq, head.hash = record.seq, record.entry_hash
        head.save(update_fields=["seq", "hash"])
    return record


@dataclass(frozen=True)
class Actor:
    """Who acted: kind plus a reference (staff e-mail, customer number, job name)."""

    kind: str
    ref: str

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.SYSTEM, job)


def audit_append(
    *,
    actor: Actor,
    action: str,
    outcome: str,
    subject: str = "",
    categories: Iterable[str] = (),
    use: str = "",
    clauses: Iterable[str] = (),
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record one decision about personal data, or one staff read of it."""
    return chain_append(
        AuditEntry,
        actor_kind=actor.kind,
        actor=actor.ref,
        action=action,
        subject=subject,
        categories=sorted(set(categories)),
        use=use,
        clauses=sorted(set(clauses)),
        outcome=outcome,
        detail=dict(detail or {}),
    )
