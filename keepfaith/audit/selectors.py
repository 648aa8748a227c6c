"""Reads of hash chains: listing audit entries and verifying any chain."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from keepfaith.audit import chain
from keepfaith.audit.models import AuditEntry, ChainedRecord, ChainHead
from keepfaith.audit.services import sealing_keys


def audit_entries(*, subject: str = "", actor: str = "", action: str = "") -> QuerySet[AuditEntry]:
    """Audit entries, newest first, optionally for one subject, actor or action."""
    entries = AuditEntry.objects.order_by("-seq")
    if subject:
        entries = entries.filter(subject=subject)
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    return entries


def _links(model: type[ChainedRecord]) -> Iterator[chain.Link]:
    for record in model._default_manager.order_by("seq").iterator(chunk_size=2000):
        yield chain.Link(
            pk=record.pk,
            seq=record.seq,
            payload=record.chain_payload(),
            prev_hash=record.prev_hash,
            entry_hash=record.entry_hash,
            seal=record.seal,
            key_id=record.key_id,
        )


def chain_verify(model: type[ChainedRecord] = AuditEntry) -> chain.Verdict:
    """Walk ``model``'s chain from the first entry; the verdict names the first bad entry."""
    head = ChainHead.objects.filter(chain=model.CHAIN).first()
    return chain.verify_links(
        _links(model),
        keys=sealing_keys(),
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else chain.GENESIS,
    )


def chained_models() -> list[type[ChainedRecord]]:
    """Every hash-chained model, the audit log first."""
    from django.apps import apps

    others = [m for m in apps.get_models() if issubclass(m, ChainedRecord) and m is not AuditEntry]
    return [AuditEntry, *sorted(others, key=lambda m: m.CHAIN)]
