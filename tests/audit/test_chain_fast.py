"""The fast verify path hashes exactly the bytes the chain always hashed.

``chain_verify`` reads rows as tuples and encodes each payload itself (``chain.encode_value``,
``chain.canonical_join``) instead of building model instances and calling
``chain.canonical(record.chain_payload())``. If the two ever differed by one byte, every
existing ledger would stop verifying; these properties pin them together for odd values.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
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


def _walk_as_before(
    links: list[chain.Link], keys: dict[str, bytes], head_seq: int, head_hash: str
) -> chain.Verdict:
    """The verifier as it was before the fast walk (28bce4c), kept as the oracle."""
    prev_hash, expected_seq, checked = chain.GENESIS, 1, 0
    for link in links:
        problem = _check_as_before(link, prev_hash, expected_seq, keys)
        if problem is None and link.seq > head_seq:
            problem = chain.Break(
                link.seq, link.pk, "inserted", "entry lies beyond the recorded head"
            )
        if problem is not None:
            return chain.Verdict(checked, prev_hash, problem)
        prev_hash, expected_seq, checked = link.entry_hash, link.seq + 1, checked + 1
    if expected_seq - 1 != head_seq or prev_hash != head_hash:
        message = f"the head records entry {head_seq}; the chain ends at {expected_seq - 1}"
        return chain.Verdict(
            checked, prev_hash, chain.Break(expected_seq, None, "truncated", message)
        )
    return chain.Verdict(checked, prev_hash, None)


def _check_as_before(
    link: chain.Link, prev_hash: str, expected_seq: int, keys: dict[str, bytes]
) -> chain.Break | None:
    recomputed = chain.entry_hash(link.prev_hash, link.payload)
    if link.seq != expected_seq:
        if link.seq > expected_seq:
            missing = (
                f"{expected_seq}"
                if link.seq == expected_seq + 1
                else f"{expected_seq}-{link.seq - 1}"
            )
            return chain.Break(expected_seq, link.pk, "deleted", f"entry {missing} is missing")
        return chain.Break(
            link.seq, link.pk, "inserted", f"entry numbered {link.seq} is out of order"
        )
    if recomputed != link.entry_hash:
        kind = "edited" if link.prev_hash == prev_hash else "inserted"
        return chain.Break(link.seq, link.pk, kind, "its content does not match its hash")
    if link.prev_hash != prev_hash:
        return chain.Break(link.seq, link.pk, "inserted", "it does not link to the entry before it")
    key = keys.get(link.key_id)
    if key is None:
        return chain.Break(
            link.seq, link.pk, "unsealed", f"sealed with unknown key {link.key_id!r}"
        )
    if not hmac.compare_digest(chain.seal(key, link.entry_hash), link.seal):
        return chain.Break(link.seq, link.pk, "inserted", "its seal is not valid: it was forged")
    return None


KEY, OTHER = b"current key", b"retired key"


def _chain(size: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, size + 1):
        key = OTHER if seq % 3 == 0 else KEY
        payload = {"seq": seq, "subject": f"KF-{seq}", "evidence": {"n": seq}}
        digest = chain.entry_hash(prev, payload)
        seal = chain.seal(key, digest)
        links.append(chain.Link(seq * 10, seq, payload, prev, digest, seal, chain.key_id(key)))
        prev = digest
    return links


TAMPERING = ["edit", "delete", "swap", "renumber", "relink", "reseal", "rekey", "forge", "none"]


@given(
    size=st.integers(min_value=0, max_value=8),
    steps=st.lists(
        st.tuples(st.sampled_from(TAMPERING), st.integers(min_value=0, max_value=9)), max_size=3
    ),
    head_shift=st.integers(min_value=-2, max_value=2),
    forget_key=st.booleans(),
)
def test_the_fast_walk_gives_the_verdict_the_old_walk_gave(
    size: int, steps: list[tuple[str, int]], head_shift: int, forget_key: bool
) -> None:
    links = _chain(size)
    head_seq, head_hash = size + head_shift, links[-1].entry_hash if links else chain.GENESIS
    for what, at in steps:
        if not links:
            break
        i = at % len(links)
        link = links[i]
        if what == "edit":
            links[i] = replace(link, payload={**link.payload, "subject": "KF-X"})
        elif what == "delete":
            del links[i]
        elif what == "swap" and i + 1 < len(links):
            links[i], links[i + 1] = links[i + 1], links[i]
        elif what == "renumber":
            links[i] = replace(link, seq=link.seq + at - 4)
        elif what == "relink":
            links[i] = replace(link, prev_hash="0" * 63 + "1")
        elif what == "reseal":
            links[i] = replace(link, seal="f" * 64)
        elif what == "rekey":
            links[i] = replace(link, key_id="000000000000")
        elif what == "forge":  # a correct plain hash, sealed with a key we do not hold
            payload = {**link.payload, "subject": "KF-forged"}
            digest = chain.entry_hash(link.prev_hash, payload)
            forged = chain.seal(b"forger", digest)
            links[i] = replace(link, payload=payload, entry_hash=digest, seal=forged)
    keys = {chain.key_id(KEY): KEY}
    if not forget_key:
        keys[chain.key_id(OTHER)] = OTHER
    new = chain.verify_links(links, keys=keys, head_seq=head_seq, head_hash=head_hash)
    assert new == _walk_as_before(links, keys, head_seq, head_hash)
