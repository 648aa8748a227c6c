"""The hash chain, as pure functions: canonical encoding, entry hashes, seals, verification.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical encoding of the
entry's own fields (its sequence number included), so editing, deleting or re-ordering any
entry breaks every link after it. Anyone can recompute these hashes; so each entry also
carries a *seal*, an HMAC-SHA256 of its hash under a key kept outside the database: a forger
who can write to the database but lacks the key cannot append an entry that verifies.

The consent ledger uses the same functions (through ``ChainedRecord``), never a copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from keepfaith.policy.trace import enforces

GENESIS = "0" * 64


def plain_value(value: Any) -> Any:
    """A field value as it is hashed: datetimes to the microsecond, dates as ISO dates."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return plain_value(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot encode {type(value).__name__} in a chained record")


def canonical(payload: Mapping[str, Any]) -> bytes:
    """A byte encoding that is the same for equal payloads: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(payload))
    return digest.hexdigest()


def key_id(key: bytes) -> str:
    """A short public name for a sealing key, so verify can say which key an entry needs."""
    return hashlib.sha256(b"keepfaith-seal-key-id:" + key).hexdigest()[:12]


def seal(key: bytes, hash_hex: str) -> str:
    return hmac.digest(key, hash_hex.encode("ascii"), "sha256").hex()


@dataclass(frozen=True)
class Link:
    """One stored entry as verification sees it."""

    pk: Any
    seq: int
    payload: Mapping[str, Any]
    prev_hash: str
    entry_hash: str
    seal: str
    key_id: str


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    seq: int
    pk: Any
    kind: str  # edited | deleted | inserted | truncated | unsealed
    message: str


@dataclass(frozen=True)
class Verdict:
    checked: int
    head_hash: str
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None

    def summary(self, name: str) -> str:
        """One line for people: ``<name> intact: ...`` or ``<name> BROKEN at entry N ...``."""
        bad = self.first_break
        if bad is None:
            return f"{name} intact: {self.checked} entries, head {self.head_hash}"
        return (
            f"{name} BROKEN at entry {bad.seq} (row id {bad.pk}): {bad.kind}: {bad.message}; "
            f"{self.checked} entries before it verified"
        )


@enforces("QS-3", features=("security.audit.hash_chain",))
def verify_links(
    links: Iterable[Link],
    *,
    keys: Mapping[str, bytes],
    head_seq: int | None = None,
    head_hash: str | None = None,
) -> Verdict:
    """Walk ``links`` in sequence order and report the first entry that was tampered with.

    ``keys`` maps key ids to sealing keys (the current key and any retired ones).
    ``head_seq``/``head_hash`` are what the chain head recorded at the last append; entries
    beyond it were inserted, and a head beyond the last entry means entries were removed.
    """
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for link in links:
        problem = _check_link(link, prev_hash=prev_hash, expected_seq=expected_seq, keys=keys)
        if problem is None and head_seq is not None and link.seq > head_seq:
            problem = Break(link.seq, link.pk, "inserted", "entry lies beyond the recorded head")
        if problem is not None:
            return Verdict(checked, prev_hash, problem)
        prev_hash, expected_seq, checked = link.entry_hash, link.seq + 1, checked + 1
    if head_seq is not None and (expected_seq - 1 != head_seq or prev_hash != head_hash):
        message = f"the head records entry {head_seq}; the chain ends at {expected_seq - 1}"
        return Verdict(checked, prev_hash, Break(expected_seq, None, "truncated", message))
    return Verdict(checked, prev_hash, None)


def _check_link(
    link: Link, *, prev_hash: str, expected_seq: int, keys: Mapping[str, bytes]
) -> Break | None:
    recomputed = entry_hash(link.prev_hash, link.payload)
    if link.seq != expected_seq:
        if link.seq > expected_seq:
            missing = (
                f"{expected_seq}"
                if link.seq == expected_seq + 1
                else (f"{expected_seq}-{link.seq - 1}")
            )
            return Break(expected_seq, link.pk, "deleted", f"entry {missing} is missing")
        return Break(link.seq, link.pk, "inserted", f"entry numbered {link.seq} is out of order")
    if recomputed != link.entry_hash:
        kind = "edited" if link.prev_hash == prev_hash else "inserted"
        return Break(link.seq, link.pk, kind, "its content does not match its hash")
    if link.prev_hash != prev_hash:
        return Break(link.seq, link.pk, "inserted", "it does not link to the entry before it")
    key = keys.get(link.key_id)
    if key is None:
        return Break(link.seq, link.pk, "unsealed", f"sealed with unknown key {link.key_id!r}")
    if not hmac.compare_digest(seal(key, link.entry_hash), link.seal):
        return Break(link.seq, link.pk, "inserted", "its seal is not valid: it was forged")
    return None
