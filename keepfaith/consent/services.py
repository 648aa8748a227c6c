"""Writes to the consent ledger: record choices, and regenerate the current-choices table.

Every write appends to the ledger through ``chain_append`` and updates ``CurrentChoice`` in
the same transaction. ``chain_append`` holds the consent chain's head row locked until that
transaction commits, so writers of one subject's choices queue behind each other and none
is lost; the table always equals what ``consent_rebuild`` derives from the ledger.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, Then, chain_append
from keepfaith.consent.models import EVENT_STATUS, ConsentEvent, ConsentEventKind, CurrentChoice
from keepfaith.gate.choices import OUTSIDE_PARTY_PREFIX
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

SOURCE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}(:[A-Za-z0-9_.@/-]{1,80})?$")
"""A source: a word (portal, email, one-click, staff, gpc, checkout) or word:id (form:<id>)."""
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/-]{1,200}$")
AGREEING: frozenset[str] = frozenset({ConsentEventKind.GIVEN, ConsentEventKind.OPTED_IN})


class ConsentError(ValueError):
    """A consent event that cannot be recorded; the message says why. Nothing was written."""


def consent_form_hash(*, shown: str | bytes) -> str:
    """The evidence hash of a form as it was shown (its rendered HTML): ``sha256:<hex>``."""
    data = shown.encode("utf-8") if isinstance(shown, str) else shown
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _declared_keys(policy: Policy) -> frozenset[str]:
    """Use keys and outside-party go-ahead keys of ``policy``."""
    parties = policy.recipients.outside_parties
    return frozenset(
        [use.key for use in policy.uses] + [OUTSIDE_PARTY_PREFIX + p.key for p in parties]
    )


def _check(*, subject: str, key: str, event: str, source: str, known: frozenset[str]) -> None:
    if not subject or len(subject) > 254 or subject.strip() != subject:
        raise ConsentError(f"subject {subject!r}: give a customer number or subject reference")
    if not KEY_PATTERN.match(key):
        raise ConsentError(f"key {key!r}: give a use key or outside_party:<recipient key>")
    if event not in EVENT_STATUS:
        raise ConsentError(f"event {event!r}: one of {', '.join(EVENT_STATUS)}")
    if not SOURCE_PATTERN.match(source):
        raise ConsentError(
            f"source {source!r}: a word such as portal, email, one-click, staff, gpc, checkout, "
            "or form:<id>"
        )
    if event in AGREEING and key not in known:
        raise ConsentError(
            f"key {key!r} is neither a use nor an outside party of the policy: "
            "nobody can agree to it"
        )


def _choice_params(record: ConsentEvent) -> list[Any]:
    """The parameters of ``_choice().sql`` for one new ledger event."""
    status = EVENT_STATUS[record.event]
    if status is None:  # _append runs _choice() only for events that set a state
        raise ValueError(f"event {record.event!r} sets no choice")
    at = CurrentChoice._meta.get_field("at").get_db_prep_save(record.at, connection)
    return [record.subject, record.key, status.value, record.policy_version_id, at]


@functools.cache
def _choice() -> Then:
    """Brings ``CurrentChoice`` up to date with one new ledger event, in the append's own
    transaction (under the chain's lock): an INSERT ... ON CONFLICT DO UPDATE (SQLite and
    PostgreSQL both speak it) prepared once, not compiled by the ORM on every event."""
    q = connection.ops.quote_name
    table = q(CurrentChoice._meta.db_table)
    columns = ["subject", "key", "status", "event_id", "policy_version_id", "at"]
    names = ", ".join(q(c) for c in columns)
    updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns[2:])
    sql = (
        f"INSERT INTO {table} ({names}) "  # noqa: S608 - names only
        "SELECT %s, %s, %s, appended.id, %s, %s FROM appended WHERE true "
        f"ON CONFLICT ({q('subject')}, {q('key')}) DO UPDATE SET {updates}"
    )
    return Then(sql, _choice_params)


def _append(
    *,
    subject: str,
    key: str,
    event: str,
    source: str,
    policy_version: PolicyVersion | None,
    evidence: Mapping[str, Any] | None,
    actor: Actor,
) -> ConsentEvent:
    record = chain_append(
        ConsentEvent,
        subject=subject,
        key=key,
        event=event,
        source=source,
        policy_version=policy_version,
        evidence=dict(evidence or {}),
        actor_kind=actor.kind,
        actor=actor.ref,
        then=_choice() if EVENT_STATUS[event] is not None else None,
    )
    return record


@enforces("BE-2", "QS-4", "BE-8", "BE-11")
def consent_record(
    *,
    subject: str,
    key: str,
    event: str,
    source: str,
    policy: Policy | None = None,
    policy_version: PolicyVersion | None = None,
    evidence: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> ConsentEvent:
    """Append one consent event and update the subject's current choice for ``key``.

    ``event`` is given, withdrawn, opted-out, opted-in or notice-acknowledged. Agreeing
    (given, opted-in) is only possible to a use or outside party of ``policy`` (the policy
    in force, which the caller resolved and must pass for agreeing events); declining is
    always possible. ``actor`` defaults
    to the subject themself. Raises ``ConsentError`` (writing nothing) for bad input.
    """
    return consent_record_many(
        subject=subject,
        changes={key: event},
        source=source,
        policy=policy,
        policy_version=policy_version,
        evidence=evidence,
        actor=actor,
    )[0]


def consent_record_many(
    *,
    subject: str,
    changes: Mapping[str, str],
    source: str,
    policy: Policy | None = None,
    policy_version: PolicyVersion | None = None,
    evidence: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> list[ConsentEvent]:
    """Record several choices of one subject (``{key: event}``) in one transaction: all or none."""
    if not changes:
        raise ConsentError("no changes to record")
    known: frozenset[str] = frozenset()
    if AGREEING & set(changes.values()):
        if policy is None:
            raise ConsentError("agreeing needs the policy in force (policy=) to check the key")
        known = _declared_keys(policy)
    for key, event in changes.items():
        _check(subject=subject, key=key, event=event, source=source, known=known)
    who = actor or Actor(ActorKind.CUSTOMER, subject)
    with transaction.atomic():
        return [
            _append(
                subject=subject,
                key=key,
                event=event,
                source=source,
                policy_version=policy_version,
                evidence=evidence,
                actor=who,
            )
            for key, event in changes.items()
        ]


def choices_from_ledger(events: Iterable[ConsentEvent]) -> dict[tuple[str, str], CurrentChoice]:
    """The current choices the ledger ``events`` (in sequence order) leave behind."""
    current: dict[tuple[str, str], CurrentChoice] = {}
    for record in events:
        status = EVENT_STATUS[record.event]
        if status is not None:
            current[(record.subject, record.key)] = CurrentChoice(
                subject=record.subject,
                key=record.key,
                status=status.value,
                event_id=record.pk,
                policy_version_id=record.policy_version_id,
                at=record.at,
            )
    return current


def consent_rebuild() -> int:
    """Regenerate ``CurrentChoice`` from the ledger; returns the number of rows.

    Runs under the consent chain's lock (taken by reading the head ``FOR UPDATE``), so no
    event is appended between reading the ledger and writing the table.
    """
    from keepfaith.audit.models import ChainHead

    with transaction.atomic():
        list(ChainHead.objects.select_for_update().filter(chain=ConsentEvent.CHAIN))
        events = ConsentEvent.objects.order_by("seq").iterator(chunk_size=2000)
        rows = list(choices_from_ledger(events).values())
        CurrentChoice.objects.all().delete()
        CurrentChoice.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
