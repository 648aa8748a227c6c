"""Envelope encryption of one record's secret (PCI DSS 3.5.1): the stored, self-describing form.

Stored form (ASCII, no padding, ``$`` never occurs inside a field)::

    kf1$aes256gcm$kek=<version>$<wrapped data key, base64url>$<nonce + ciphertext, base64url>

Rules kept here:

- Every record gets a fresh 256-bit data key; the secret is encrypted with AES-256-GCM under
  it. The data key is stored only wrapped by the key ring's current KEK, whose version the
  stored form names.
- The associated data binds both layers to the record id and the purpose, so a ciphertext
  copied onto another record (or used for another purpose) fails to open.
- :func:`rewrap` moves a record to the current KEK without touching the secret's ciphertext.
- Any malformed, truncated or altered value raises :class:`VaultError` with a clear message;
  the parser never raises anything else and never returns garbage.
"""

from __future__ import annotations

import binascii
import os
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keepfaith.policy.trace import enforces
from keepfaith.vault.errors import KeyRingError, VaultError
from keepfaith.vault.keyring import KeyRing, WrappedKey

FORMAT = "kf1"
ALGORITHM = "aes256gcm"
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_PURPOSE = "card-number"
_PREFIX = f"{FORMAT}${ALGORITHM}$kek="
_MAX_TOKEN = 4096
_MAX_RECORD_ID = 200


class SealedParts(NamedTuple):
    """A parsed stored value: the KEK version, the wrapped data key, nonce + ciphertext."""

    kek_version: int
    wrapped_key: bytes
    ciphertext: bytes


def associated_data(*, record_id: str, purpose: str) -> bytes:
    """The bytes both layers are bound to: length-prefixed so no two pairs collide."""
    if not isinstance(record_id, str) or not 0 < len(record_id) <= _MAX_RECORD_ID:
        raise VaultError(f"a record id is text of 1 to {_MAX_RECORD_ID} characters")
    rid = record_id.encode("utf-8", "surrogatepass")
    pur = purpose.encode("utf-8", "surrogatepass")
    return b"kf1|%d:%s|%d:%s" % (len(pur), pur, len(rid), rid)


_TO_STD = bytes.maketrans(b"-_", b"+/")
_TO_URL = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL, b"=").decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    if not text.isascii() or "+" in text or "/" in text or "=" in text:
        raise VaultError(f"stored value is malformed: the {what} is not base64url")
    try:
        padded = text.encode("ascii").translate(_TO_STD) + b"=" * (-len(text) % 4)
        data = binascii.a2b_base64(padded, strict_mode=True)
    except (binascii.Error, ValueError):
        raise VaultError(f"stored value is malformed: the {what} is not base64url") from None
    if _b64(data) != text:  # unused low bits set: another spelling of the same bytes
        raise VaultError(f"stored value is malformed: the {what} is not base64url (non-canonical)")
    return data


def parse_sealed(token: str) -> SealedParts:
    """Split a stored value into its parts, checking the format; any bad input -> VaultError."""
    if not isinstance(token, str):
        raise VaultError("stored value is malformed: not text")
    if len(token) > _MAX_TOKEN:
        raise VaultError("stored value is malformed: too long")
    fields = token.split("$")
    if fields[0] != FORMAT:
        raise VaultError(f"stored value is malformed: it does not start with {FORMAT}$")
    if len(fields) != 5:
        raise VaultError("stored value is malformed: expected kf1$aes256gcm$kek=N$key$data")
    _, algorithm, version_field, wrapped_text, data_text = fields
    if algorithm != ALGORITHM:
        raise VaultError("stored value names an unknown algorithm")
    version_text = version_field[4:]
    if not (
        version_field.startswith("kek=")
        and version_text.isascii()
        and version_text.isdigit()
        and len(version_text) <= 9
    ):
        raise VaultError("stored value is malformed: the key version is not a number")
    ciphertext = _unb64(data_text, "ciphertext")
    if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
        raise VaultError("stored value is malformed: the ciphertext is truncated")
    return SealedParts(int(version_text), _unb64(wrapped_text, "wrapped key"), ciphertext)


def _format(version: int, wrapped: bytes, ciphertext: bytes) -> str:
    return f"{_PREFIX}{version}${_b64(wrapped)}${_b64(ciphertext)}"


@enforces("QS-5", features=("security.vault.envelope_encryption",))
def seal(
    plaintext: bytes, *, record_id: str, keyring: KeyRing, purpose: str = DEFAULT_PURPOSE
) -> str:
    """Encrypt ``plaintext`` for one record under a fresh data key; return the stored form."""
    aad = associated_data(record_id=record_id, purpose=purpose)
    fresh = os.urandom(DATA_KEY_BYTES + NONCE_BYTES)
    data_key, nonce = fresh[:DATA_KEY_BYTES], fresh[DATA_KEY_BYTES:]
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrapped = keyring.wrap(data_key, aad=aad)
    return _format(wrapped.version, wrapped.blob, ciphertext)


def _unwrap(parts: SealedParts, aad: bytes, keyring: KeyRing) -> bytes:
    try:
        data_key = keyring.unwrap(WrappedKey(parts.kek_version, parts.wrapped_key), aad=aad)
    except KeyRingError as exc:
        raise VaultError(f"cannot open the stored value: {exc}") from None
    if len(data_key) != DATA_KEY_BYTES:
        raise VaultError("cannot open the stored value: the data key has the wrong size")
    return data_key


def open_sealed(
    token: str, *, record_id: str, keyring: KeyRing, purpose: str = DEFAULT_PURPOSE
) -> bytes:
    """Decrypt a stored value of ``record_id``; a moved or altered value raises VaultError."""
    parts = parse_sealed(token)
    aad = associated_data(record_id=record_id, purpose=purpose)
    data_key = _unwrap(parts, aad, keyring)
    nonce, body = parts.ciphertext[:NONCE_BYTES], parts.ciphertext[NONCE_BYTES:]
    try:
        return AESGCM(data_key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise VaultError(
            "cannot open the stored value: it does not belong to this record or was altered"
        ) from None


def sealed_key_version(token: str) -> int:
    """The KEK version a stored value names (to find records a rotation must re-wrap)."""
    return parse_sealed(token).kek_version


def sealed_opens(
    token: str, *, record_id: str, keyring: KeyRing, purpose: str = DEFAULT_PURPOSE
) -> bool:
    """Whether ``keyring`` unwraps the data key of ``token`` (nothing is decrypted)."""
    try:
        _unwrap(parse_sealed(token), associated_data(record_id=record_id, purpose=purpose), keyring)
    except VaultError:
        return False
    return True


def rewrap(token: str, *, record_id: str, keyring: KeyRing, purpose: str = DEFAULT_PURPOSE) -> str:
    """Re-wrap the data key under the current KEK; the secret's ciphertext is kept byte for byte.

    A value already under the current version is returned unchanged.
    """
    parts = parse_sealed(token)
    if parts.kek_version == keyring.current_version:
        return token
    aad = associated_data(record_id=record_id, purpose=purpose)
    data_key = _unwrap(parts, aad, keyring)
    wrapped = keyring.wrap(data_key, aad=aad)
    return _format(wrapped.version, wrapped.blob, parts.ciphertext)
