"""Writes to hash chains: ``chain_append`` for any chained model, ``audit_append`` for the log."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Field

from keepfaith.audit import chain
from keepfaith.audit.models import ActorKind, AuditEntry, ChainedRecord, ChainHead

R = TypeVar("R", bound=ChainedRecord)


def sealing_key() -> bytes:
    return str(settings.AUDIT_KEY).encode("utf-8")


@functools.lru_cache(maxsize=8)
def _key_id(key: bytes) -> str:
    return chain.key_id(key)


def sealing_keys() -> dict[str, bytes]:
    """The current sealing key and retired ones (KEEPFAITH_AUDIT_KEY_FALLBACKS), by key id."""
    keys = [sealing_key()] + [k.encode() for k in settings.AUDIT_KEY_FALLBACKS]
    return {_key_id(key): key for key in keys}


@dataclass(frozen=True)
class Then:
    """A statement that must run in the same transaction as an append, right after it.

    ``sql`` reads the new row's id from a one-row table ``appended(id)``: an ``INSERT ...
    SELECT ..., appended.id, ... FROM appended WHERE true`` (``WHERE true`` lets SQLite read an ``ON
    CONFLICT`` clause after it). ``params(record)`` gives its parameters. On PostgreSQL it
    travels in the same statement as the append (one round trip), elsewhere right after.
    """

    sql: str
    params: Callable[[Any], list[Any]]


def chain_append(model: type[R], *, then: Then | None = None, **fields: Any) -> R:
    """Append one record to ``model``'s chain (and run ``then`` in the same transaction).

    The chain head row is locked for the length of the transaction (``SELECT ... FOR UPDATE``
    on PostgreSQL; SQLite's IMMEDIATE transactions take the write lock up front), so parallel
    writers queue and the chain never forks.
    """
    chain.storable(fields)  # before the transaction: a refusal leaves the caller's intact
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
        record.key_id = _key_id(key)
        _insert(cursor, record, then)
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


def chain_lock(model: type[ChainedRecord]) -> None:
    """Hold ``model``'s chain head until the transaction ends (inside ``atomic``): what is
    read after it is read as no other append of that chain can change it meanwhile."""
    with connection.cursor() as cursor:
        _locked_head(cursor, model.CHAIN)


@functools.cache
def _insert_plan(model: type[ChainedRecord]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = connection.ops.quote_name(model._meta.pk.column)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}"  # noqa: S608
    return sql, tuple((f, _preparer(f)) for f in fields)


def _preparer(field: Field[Any, Any]) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` bound to the connection; for a text field that keeps
    Django's own conversion, a ``str`` is passed through (what that conversion returns)."""

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    kind = type(field)
    if (
        isinstance(field, CharField)
        and kind.get_db_prep_save is Field.get_db_prep_save
        and kind.get_db_prep_value is Field.get_db_prep_value
        and kind.get_prep_value is CharField.get_prep_value
        and kind.to_python is CharField.to_python
    ):
        return lambda value: value if type(value) is str else prepare(value)
    return prepare


@functools.cache
def _combined_sql(model: type[ChainedRecord], then_sql: str | None) -> str:
    """PostgreSQL: the row, the head and ``then`` in one statement (one round trip)."""
    insert, _ = _insert_plan(model)
    followed = f", followed AS ({then_sql}) " if then_sql is not None else " "
    return (
        f"WITH appended AS ({insert}), "  # noqa: S608 - statements of our own
        f"moved_head AS ({_HEAD_UPDATE})"
        f"{followed}"
        "SELECT * FROM appended"
    )


def _insert(cursor: Any, record: ChainedRecord, then: Then | None) -> None:
    sql, fields = _insert_plan(type(record))
    values = []
    for field, prepare in fields:  # defaults (timestamps) as save() would fill them
        value = getattr(record, field.attname)
        if value is None and field.has_default():
            value = field.get_default()
            setattr(record, field.attname, value)
        values.append(prepare(value))
    head = [record.seq, record.entry_hash, record.CHAIN]
    if connection.vendor == "postgresql":
        then_sql, then_params = (then.sql, then.params(record)) if then else (None, [])
        cursor.execute(_combined_sql(type(record), then_sql), values + head + then_params)
        record.pk = cursor.fetchone()[0]
        record._state.adding = False
        return
    cursor.execute(sql, values)
    record.pk = cursor.fetchone()[0]
    record._state.adding = False
    cursor.execute(_HEAD_UPDATE, head)
    if then is not None:
        cursor.execute(
            "WITH appended(id) AS (SELECT %s) " + then.sql, [record.pk, *then.params(record)]
        )


@functools.cache
def _unchecked_fields(model: type[ChainedRecord]) -> frozenset[str]:
    hashed = ["seq", "prev_hash", "entry_hash", "seal", "key_id"]
    return frozenset(hashed + [field.name for field in model._meta.fields if field.is_relation])


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
