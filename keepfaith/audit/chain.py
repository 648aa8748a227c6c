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
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring  # json.dumps's, with ensure_ascii=False
from typing import Any

from keepfaith.policy.trace import enforces

_hmac_new: Any
try:  # OpenSSL's HMAC object: copying a keyed one is twice as fast as hmac.digest
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover - Python built without OpenSSL
    _hmac_new = None


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


# From here on Python writes a float with an exponent (1e+16); PostgreSQL's JSON column keeps
# the number and gives it back written out (10000000000000000), which reads as an int.
_FLOAT_EXACT_BELOW = 1e16


def storable(value: Any, where: str = "payload") -> None:
    """Raise ValueError for a float in ``value`` that would not read back as the same JSON
    from every database (not finite, or at least 1e16): hashed one way and read back another,
    it would make an intact entry look edited. Checked before an entry is hashed."""
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _FLOAT_EXACT_BELOW:
            raise ValueError(
                f"{where}: {value!r} cannot be kept exactly in a chained record; "
                "store it as text or as an integer"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            storable(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            storable(item, f"{where}[{index}]")


def canonical(payload: Mapping[str, Any]) -> bytes:
    """A byte encoding that is the same for equal payloads: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


_encode_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
).encode  # what json.dumps in ``canonical`` uses, made once


def encode_value(value: Any) -> str:
    """One payload value as ``canonical`` encodes it inside the payload: strings, integers
    and None directly (as json's encoder does), datetimes made plain as ``plain_value`` makes
    them, anything else (JSON values, dates) through the same encoder as ``canonical``."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is datetime:
        stamp: str = value.isoformat(timespec="microseconds")
        return '"' + stamp + '"'
    encoded: str = _encode_json(plain_value(value))
    return encoded


def canonical_join(names: Sequence[str]) -> Callable[[Sequence[str]], bytes]:
    """Joins the encoded values (``encode_value``) of a payload with exactly the keys
    ``names``, given in that order, into the bytes ``canonical`` gives for that payload:
    keys sorted, no spaces, UTF-8."""
    order = sorted(range(len(names)), key=lambda i: names[i])
    pairs = [(i, encode_basestring(names[i]) + ":") for i in order]

    def join(encoded: Sequence[str]) -> bytes:
        return ("{" + ",".join([key + encoded[i] for i, key in pairs]) + "}").encode("utf-8")

    return join


def canonical_encoder(names: Sequence[str]) -> Callable[[Sequence[Any]], bytes]:
    """A fast ``canonical`` for payloads with exactly the keys ``names``: called with their
    values in that order (datetimes need not be made plain), returns the same bytes as
    ``canonical(dict(zip(names, map(plain_value, values))))``."""
    join = canonical_join(names)
    return lambda values: join([encode_value(value) for value in values])


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


Entry = tuple[Any, int, str, str, str, str, bytes]
"""One stored entry as the fast walk sees it: (pk, seq, prev_hash, entry_hash, seal, key_id,
canonical payload bytes)."""


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
    entries = (
        (
            link.pk,
            link.seq,
            link.prev_hash,
            link.entry_hash,
            link.seal,
            link.key_id,
            canonical(link.payload),
        )
        for link in links
    )
    return verify_entries(entries, keys=keys, head_seq=head_seq, head_hash=head_hash)


@enforces("QS-3", features=("security.audit.hash_chain",))
def verify_entries(
    entries: Iterable[Entry],
    *,
    keys: Mapping[str, bytes],
    head_seq: int | None = None,
    head_hash: str | None = None,
) -> Verdict:
    """``verify_links`` over entries whose payload is already canonical bytes (see ``Entry``).

    The walk checks each entry with a few comparisons; only an entry that fails one goes
    through ``_check_entry``, which names what is wrong exactly as it always has.
    """
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    sealers = {kid: _sealer(key) for kid, key in keys.items()}
    sha256, compare = hashlib.sha256, hmac.compare_digest
    limit = head_seq
    for pk, seq, prev, digest, stamp, kid, payload in entries:
        recomputed = sha256(prev.encode("ascii") + b"\n" + payload).hexdigest()
        sealer = sealers.get(kid)
        if (
            seq != expected_seq
            or recomputed != digest
            or prev != prev_hash
            or sealer is None
            or not compare(sealer(digest), stamp)
            or (limit is not None and seq > limit)
        ):
            problem = _check_entry(
                (pk, seq, prev, digest, stamp, kid),
                recomputed,
                prev_hash=prev_hash,
                expected_seq=expected_seq,
                keys=keys,
            )
            if problem is None and limit is not None and seq > limit:
                problem = Break(seq, pk, "inserted", "entry lies beyond the recorded head")
            if problem is not None:
                return Verdict(checked, prev_hash, problem)
        prev_hash, expected_seq, checked = digest, seq + 1, checked + 1
    if head_seq is not None and (expected_seq - 1 != head_seq or prev_hash != head_hash):
        message = f"the head records entry {head_seq}; the chain ends at {expected_seq - 1}"
        return Verdict(checked, prev_hash, Break(expected_seq, None, "truncated", message))
    return Verdict(checked, prev_hash, None)


def _sealer(key: bytes) -> Callable[[str], str]:
    """``seal`` with ``key`` prepared once (the keyed state is copied for each entry)."""
    if _hmac_new is None:  # pragma: no cover
        return lambda hash_hex: seal(key, hash_hex)
    keyed = _hmac_new(key, digestmod="sha256")

    def sealer(hash_hex: str) -> str:
        mac = keyed.copy()
        mac.update(hash_hex.encode("ascii"))
        hexdigest: str = mac.hexdigest()
        return hexdigest

    return sealer


def _check_entry(
    entry: tuple[Any, int, str, str, str, str],
    recomputed: str,
    *,
    prev_hash: str,
    expected_seq: int,
    keys: Mapping[str, bytes],
) -> Break | None:
    pk, seq, link_prev, link_hash, link_seal, link_key_id = entry
    if seq != expected_seq:
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            return Break(expected_seq, pk, "deleted", f"entry {missing} is missing")
        return Break(seq, pk, "inserted", f"entry numbered {seq} is out of order")
    if recomputed != link_hash:
        kind = "edited" if link_prev == prev_hash else "inserted"
        return Break(seq, pk, kind, "its content does not match its hash")
    if link_prev != prev_hash:
        return Break(seq, pk, "inserted", "it does not link to the entry before it")
    key = keys.get(link_key_id)
    if key is None:
        return Break(seq, pk, "unsealed", f"sealed with unknown key {link_key_id!r}")
    if not hmac.compare_digest(seal(key, link_hash), link_seal):
        return Break(seq, pk, "inserted", "its seal is not valid: it was forged")
    return None
