"""Reads of hash chains: listing audit entries and verifying any chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from django.conf import settings
from django.db.models import CharField, JSONField, QuerySet, TextField
from django.db.models.sql.constants import MULTI

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


def _entries(model: type[ChainedRecord]) -> Iterator[chain.Entry]:
    """Every entry in sequence order, its payload already canonical bytes.

    The rows are read in chunks as plain tuples (no model instances); each hashed value is
    converted from the database exactly as the ORM converts it (the query's own converters)
    and encoded by ``chain.encode_value``, so the payload is the same bytes as
    ``chain.canonical(record.chain_payload())`` (tests/audit/test_chain_fast.py). Shortcuts
    that give the same: text goes straight to json's string encoder, SQLite's datetime text
    is parsed without the converter's settings lookups, and a JSON value's encoding is
    remembered by the text the database returned (the same form, the same clauses repeat).
    """
    hashed = model.HASHED_FIELDS
    columns = ("pk", "seq", "prev_hash", "entry_hash", "seal", "key_id", *hashed)
    query = model._default_manager.order_by("seq").values_list(*columns).query
    compiler = query.get_compiler(using=model._default_manager.db)
    chunks = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=_CHUNK)
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)
    if any(pos < 6 for pos in converters):  # pragma: no cover - no backend converts these
        raise NotImplementedError("chain columns the database returns converted")
    positions = range(6, len(columns))
    connection = compiler.connection
    fast, slow = (
        [_encoder(fields[pos], converters.get(pos), connection, fast=f) for pos in positions]
        for f in (True, False)
    )
    join = chain.canonical_join((*hashed, "seq"))
    for rows in chunks:
        for pk, seq, prev_hash, entry_hash, seal, key_id, *values in rows:
            try:
                encoded = [encode(value) for encode, value in zip(fast, values, strict=True)]
            except TypeError:  # a text column holding something else: the general encoder
                encoded = [encode(value) for encode, value in zip(slow, values, strict=True)]
            encoded.append(chain.encode_value(seq))
            yield pk, seq, prev_hash, entry_hash, seal, key_id, join(encoded)


_CHUNK = 2000
_JSON_MEMORY = 4096


def _encoder(
    expression: Any, converters: tuple[list[Any], Any] | None, connection: Any, *, fast: bool
) -> Callable[[Any], str]:
    """Raw database value of the column ``expression`` selects (``converters``: the query's
    converters for it, if any) -> its encoding in the canonical payload.

    ``fast``: a text column's value goes straight to json's string encoder (which raises
    TypeError for anything but a string: the caller then uses the general encoders), and
    SQLite's datetime text is parsed as the backend's converter parses it.
    """
    field = getattr(expression, "output_field", None)
    if converters is None:
        text = isinstance(field, (CharField, TextField))
        return encode_basestring if fast and text else chain.encode_value
    functions, expression = converters

    def encode(value: Any) -> str:
        for function in functions:
            value = function(value, expression, connection)
        return chain.encode_value(value)

    sqlite = fast and connection.vendor == "sqlite"
    if sqlite and list(functions) == [connection.ops.convert_datetimefield_value]:
        return _sqlite_datetime(encode, connection)
    if not isinstance(field, JSONField):
        return encode
    memory: dict[Any, str] = {}

    def remembered(value: Any) -> str:
        if type(value) is not str:
            return encode(value)
        found = memory.get(value)
        if found is None:
            if len(memory) >= _JSON_MEMORY:
                memory.clear()
            found = memory[value] = encode(value)
        return found

    return remembered


def _sqlite_datetime(encode: Callable[[Any], str], connection: Any) -> Callable[[Any], str]:
    """SQLite's ``convert_datetimefield_value`` for text ``fromisoformat`` reads (the first
    thing ``parse_datetime`` tries), then made aware in the connection's time zone if
    USE_TZ; anything else goes through the converter itself."""
    zone = connection.timezone if settings.USE_TZ else None
    parse, plain = datetime.fromisoformat, chain.encode_value

    def encode_datetime(value: Any) -> str:
        if type(value) is not str:
            return encode(value)
        try:
            parsed = parse(value)
        except ValueError:
            return encode(value)
        if zone is not None and parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=zone)
        return plain(parsed)

    return encode_datetime


def chain_verify(model: type[ChainedRecord] = AuditEntry) -> chain.Verdict:
    """Walk ``model``'s chain from the first entry; the verdict names the first bad entry."""
    head = ChainHead.objects.filter(chain=model.CHAIN).first()
    return chain.verify_entries(
        _entries(model),
        keys=sealing_keys(),
        head_seq=head.seq if head else 0,
        head_hash=head.hash if head else chain.GENESIS,
    )


def chained_models() -> list[type[ChainedRecord]]:
    """Every hash-chained model, the audit log first."""
    from django.apps import apps

    others = [m for m in apps.get_models() if issubclass(m, ChainedRecord) and m is not AuditEntry]
    return [AuditEntry, *sorted(others, key=lambda m: m.CHAIN)]
