"""Writes to hash chains: ``chain_append`` for any chained model, ``audit_append`` for the log."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction

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
    # One transaction (no savepoint inside a caller's: a failure here fails the caller's).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        seq, prev_hash = _locked_head(cursor, model.CHAIN)
        record = model(seq=seq + 1, prev_hash=prev_hash, **fields)
        # Field checks without queries: the database's own constraints hold the keys and
        # the unique sequence number, so full_clean's lookups would only repeat them.
        record.clean_fields(exclude=_unchecked_fields(model))
        record.clean()
        record.entry_hash = chain.entry_hash(record.prev_hash, record.chain_payload())
        record.seal = chain.seal(key, record.entry_hash)
        record.key_id = chain.key_id(key)
        _insert(cursor, record)
        cursor.execute(_HEAD_UPDATE, [record.seq, record.entry_hash, model.CHAIN])
    return record


# Every append runs these, so they are plain SQL prepared once (the ORM would compile each
# statement anew, ten times the cost of running it); the values go through each field's own
# conversion (get_db_prep_save), as the ORM's would.
_HEAD_TABLE = ChainHead._meta.db_table
_HEAD_SELECT = f"SELECT seq, hash FROM {_HEAD_TABLE} WHERE chain = %s"  # noqa: S608
_HEAD_UPDATE = f"UPDATE {_HEAD_TABLE} SET seq = %s, hash = %s WHERE chain = %s"  # noqa: S608


def _locked_head(cursor: Any, name: str) -> tuple[int, str]:
    """The chain head's (seq, hash), locked until the transaction ends (created on first use):
    ``FOR UPDATE`` on PostgreSQL; SQLite's writer lock is taken by the first write."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(_HEAD_SELECT + lock, [name])
    row = cursor.fetchone()
    if row is None:
        ChainHead.objects.bulk_create(
            [ChainHead(chain=name, seq=0, hash=chain.GENESIS)], ignore_conflicts=True
        )
        cursor.execute(_HEAD_SELECT + lock, [name])
        row = cursor.fetchone()
    return int(row[0]), str(row[1])


@functools.cache
def _insert_plan(model: type[ChainedRecord]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = connection.ops.quote_name(model._meta.pk.column)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}"  # noqa: S608
    return sql, fields


def _insert(cursor: Any, record: ChainedRecord) -> None:
    sql, fields = _insert_plan(type(record))
    for field in fields:  # defaults (timestamps) as save() would fill them
        if getattr(record, field.attname) is None and field.has_default():
            setattr(record, field.attname, field.get_default())
    values = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    cursor.execute(sql, values)
    record.pk = cursor.fetchone()[0]
    record._state.adding = False


def _unchecked_fields(model: type[ChainedRecord]) -> list[str]:
    hashed = ["seq", "prev_hash", "entry_hash", "seal", "key_id"]
    return hashed + [field.name for field in model._meta.fields if field.is_relation]


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
