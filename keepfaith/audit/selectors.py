"""Reads of hash chains: listing audit entries and verifying any chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet

from keepfaith.audit import chain
from keepfaith.audit.models import AuditEntry, ChainedRecord, ChainHead
from keepfaith.audit.services import sealing_keys


def audit_entries(
    *,
    subject: str = "",
    actor: str = "",
    action: str = "",
    clause: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, optionally for one subject, actor, action (or action
    prefix ending in "."), clause, and a time range (``since`` inclusive, ``until`` not)."""
    entries = AuditEntry.objects.order_by("-seq")
    if subject:
        entries = entries.filter(subject=subject)
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        prefix = action.endswith(".")
        entries = (
            entries.filter(action__startswith=action) if prefix else entries.filter(action=action)
        )
    if clause:
        entries = entries.filter(clauses__icontains=f'"{clause}"')
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries


def recipients_allowed(*, subject: str, use_prefix: str) -> list[str]:
    """The recipients the gate allowed a use under ``use_prefix`` (the use or a narrower one)
    to receive about ``subject``, as its audited decisions name them, oldest first."""
    details = (
        AuditEntry.objects.filter(
            subject=subject, action="gate.check", outcome="allowed", use__startswith=use_prefix
        )
        .order_by("seq")
        .values_list("detail", flat=True)
    )
    found = (d.get("recipient") for d in details if isinstance(d, dict))
    return list(dict.fromkeys(r for r in found if isinstance(r, str) and r))


def _links(model: type[ChainedRecord]) -> Iterator[chain.Link]:
    """Every entry as plain values (no model instances: verify reads the whole chain)."""
    hashed = model.HASHED_FIELDS
    columns = ("pk", "seq", "prev_hash", "entry_hash", "seal", "key_id", *hashed)
    rows = model._default_manager.order_by("seq").values_list(*columns)
    plain = chain.plain_value
    for pk, seq, prev_hash, entry_hash, seal, key_id, *values in rows.iterator(chunk_size=2000):
        payload = {"seq": seq}
        payload.update({name: plain(value) for name, value in zip(hashed, values, strict=True)})
        yield chain.Link(pk, seq, payload, prev_hash, entry_hash, seal, key_id)


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
