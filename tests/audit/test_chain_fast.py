"""The fast verify path hashes exactly the bytes the chain always hashed.

``chain_verify`` reads rows as tuples and encodes each payload itself (``chain.encode_value``,
``chain.canonical_join``) instead of building model instances and calling
``chain.canonical(record.chain_payload())``. If the two ever differed by one byte, every
existing ledger would stop verifying; these properties pin them together for odd values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.audit import chain
from keepfaith.audit.models import AuditEntry, ChainedRecord
from keepfaith.audit.selectors import _entries, chain_verify
from keepfaith.audit.services import Actor, audit_append, chain_append
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.services import consent_record

pytestmark = [pytest.mark.clause("QS-3")]

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # any UTF-8 text
stored_text = st.text(  # PostgreSQL's text and jsonb hold no NUL
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30
)


def _json(stored: bool) -> st.SearchStrategy[Any]:
    words = stored_text if stored else text
    leaf: st.SearchStrategy[Any] = st.none() | st.booleans() | st.integers() | words
    if not stored:  # jsonb keeps a number's value, not its float form (1e16 comes back an int)
        leaf = leaf | st.floats(allow_nan=False)
    return st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(words, inner, max_size=4),
        max_leaves=12,
    )


json_values = _json(stored=False)
stored_json = _json(stored=True)
times = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]),
)
odd_values = json_values | times | st.dates()
utc_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC)
)  # stored datetimes come back in UTC: the ledger appends its own (timezone.now())


@given(st.dictionaries(text, odd_values, min_size=1, max_size=8))
def test_encoder_gives_the_canonical_bytes(payload: dict[str, Any]) -> None:
    names = list(payload)
    plain = {name: chain.plain_value(value) for name, value in payload.items()}
    encoded = chain.canonical_encoder(names)([payload[name] for name in names])
    assert encoded == chain.canonical(plain)


@given(st.lists(st.sampled_from([datetime(2026, 1, 1, tzinfo=UTC), date(2026, 1, 1), "x"])))
def test_dates_and_datetimes_inside_json_values_encode_as_canonical_does(value: list[Any]) -> None:
    assert chain.canonical_encoder(["v"])([value]) == chain.canonical({"v": value})


def _stored(model: type[ChainedRecord]) -> list[tuple[bytes, bytes]]:
    """(fast payload, instance payload) for every stored entry of ``model``."""
    fast = {pk: payload for pk, *_, payload in _entries(model)}
    records = model._default_manager.order_by("seq")
    return [(fast[r.pk], chain.canonical(r.chain_payload())) for r in records]


subjects = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).map(
    lambda s: s.strip() or "x"
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=subjects,
    evidence=st.none() | st.dictionaries(stored_text, stored_json, max_size=4),
    at=utc_times,
    actor=stored_text,
)
def test_stored_consent_events_read_back_as_the_bytes_they_were_hashed_from(
    db: Any, subject: str, evidence: dict[str, Any] | None, at: datetime, actor: str
) -> None:
    chain_append(
        ConsentEvent,
        subject=subject.replace("\x00", ""),
        key="marketing.communications.email",
        event="opted-out",
        source="portal",
        evidence=evidence if evidence is not None else {},
        actor_kind="customer",
        actor=actor or "x",
        at=at,
    )
    for fast, slow in _stored(ConsentEvent):
        assert fast == slow
    assert chain_verify(ConsentEvent).intact


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(detail=st.dictionaries(stored_text, stored_json, max_size=4), subject=subjects)
def test_stored_audit_entries_read_back_as_the_bytes_they_were_hashed_from(
    db: Any, detail: dict[str, Any], subject: str
) -> None:
    audit_append(
        actor=Actor.system("test"),
        action="read",
        outcome="read",
        subject=subject.replace("\x00", ""),
        categories=["user.contact.email", "ü\"'"],
        detail=detail,
    )
    for fast, slow in _stored(AuditEntry):
        assert fast == slow
    assert chain_verify(AuditEntry).intact


@pytest.mark.parametrize(
    "evidence", [None, {}, {"nested": {"b": [1, None, "\"'", 1.5], "a": "ø"}, "z": True}]
)
def test_recorded_evidence_reads_back_as_it_was_hashed(db: Any, evidence: Any) -> None:
    consent_record(
        subject="KF-1 \"ø\" 'x'",
        key="marketing.communications.email",
        event="opted-out",
        source="form:a.b@c/d",
        evidence=evidence,
    )
    for fast, slow in _stored(ConsentEvent):
        assert fast == slow
    assert chain_verify(ConsentEvent).intact
