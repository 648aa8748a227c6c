"""Key-encrypting keys (KEKs): versioned, kept apart from the database (PCI DSS 3.5.1, 3.6, 3.7).

Rules kept here:

- Data keys are wrapped with the *current* KEK version only; every older (retired) version
  only unwraps, so retiring a key never loses a record (PCI DSS 3.7.4 / 3.7.5).
- A wrapped data key names its KEK version and is bound to associated data (the record), so
  a wrapped key moved to another record or claimed under another version fails to unwrap.
- ``FileKeyRing`` keeps KEKs in a JSON file outside the database, created on first use with
  mode 0600; it refuses a file that group or others can read. Every change is written to a
  temporary file, fsynced and renamed over the old one, under an exclusive lock, so a crash
  or two concurrent rotations never lose a key.

Another backend (a cloud KMS, HashiCorp Vault transit) implements the :class:`KeyRing`
protocol: ``wrap`` maps to the backend's encrypt call with the associated data as
"encryption context" / "context", ``unwrap`` to decrypt, ``rotate`` to the backend's key
rotation, and ``current_version`` to the key's latest version (Vault transit names it in the
ciphertext prefix ``vault:v<N>:``; KMS key versions in the key ARN or metadata). The KEK never
leaves the backend; only the 32-byte data key travels, wrapped.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keepfaith.vault.errors import KeyRingError

KEK_BYTES = 32
NONCE_BYTES = 12
FILE_FORMAT = "keepfaith-keyring/1"
_WRAP_CONTEXT = b"keepfaith/kek-wrap/1"
_RELOAD_SECONDS = 1.0  # how often a long-running process looks for a rotation by another


class WrappedKey(NamedTuple):
    """A data key encrypted under KEK ``version``; ``blob`` is opaque to everyone but the ring."""

    version: int
    blob: bytes

    def __repr__(self) -> str:
        return f"<WrappedKey kek={self.version} {len(self.blob)} bytes>"


@dataclass(frozen=True)
class KeyVersion:
    """What an operator may see about a KEK: never the key itself."""

    version: int
    created: str
    status: str  # "current" or "retired"


@runtime_checkable
class KeyRing(Protocol):
    """Wraps and unwraps data keys; see the module docstring for a KMS / Vault transit mapping."""

    @property
    def current_version(self) -> int: ...

    def wrap(self, data_key: bytes, *, aad: bytes) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey, *, aad: bytes) -> bytes: ...

    def rotate(self) -> int: ...

    def versions(self) -> list[KeyVersion]: ...


def _wrap_aad(version: int, aad: bytes) -> bytes:
    return b"%s|%d|%s" % (_WRAP_CONTEXT, version, aad)


class FileKeyRing:
    """KEKs in a JSON file (mode 0600) outside the database; see the module docstring."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        """Open the ring at ``path``; a missing file is made with a first key when
        ``create``, else ``KeyRingError``."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self._keys: dict[int, AESGCM] = {}
        self._meta: list[KeyVersion] = []
        self._current = 0
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        with self._file_lock():
            if not self.path.exists():
                if not create:
                    raise KeyRingError(f"the key ring {self.path} does not exist")
                self._write(self._fresh_document())
            self._load()

    # -- the protocol -------------------------------------------------------------------
    @property
    def current_version(self) -> int:
        self._maybe_reload()
        return self._current

    def wrap(self, data_key: bytes, *, aad: bytes) -> WrappedKey:
        """Encrypt ``data_key`` under the current KEK, bound to ``aad`` and the version."""
        self._maybe_reload()
        version = self._current
        nonce = os.urandom(NONCE_BYTES)
        blob = nonce + self._keys[version].encrypt(nonce, data_key, _wrap_aad(version, aad))
        return WrappedKey(version=version, blob=blob)

    def unwrap(self, wrapped: WrappedKey, *, aad: bytes) -> bytes:
        """Decrypt a data key with the version it names (current or retired)."""
        kek = self._keys.get(wrapped.version)
        if kek is None:
            self._reload_now()
            kek = self._keys.get(wrapped.version)
        if kek is None:
            raise KeyRingError(f"key version {wrapped.version} is not in the key ring {self.path}")
        blob = wrapped.blob
        if len(blob) <= NONCE_BYTES:
            raise KeyRingError("the wrapped data key is truncated")
        try:
            return kek.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(wrapped.version, aad)
            )
        except InvalidTag:
            raise KeyRingError(
                "the wrapped data key does not belong to this record or was altered"
            ) from None

    def rotate(self) -> int:
        """Add a new current KEK; the previous current one is retired (unwrap only)."""
        with self._lock, self._file_lock():
            document = self._read()
            version = max(int(entry["version"]) for entry in document["keys"]) + 1
            for entry in document["keys"]:
                entry["status"] = "retired"
            document["keys"].append(self._new_entry(version))
            document["current"] = version
            self._write(document)
            self._load_locked()
            return version

    def versions(self) -> list[KeyVersion]:
        self._maybe_reload()
        return list(self._meta)

    # -- the file -----------------------------------------------------------------------
    @staticmethod
    def _new_entry(version: int) -> dict[str, Any]:
        return {
            "version": version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": "current",
            "key": base64.b64encode(secrets.token_bytes(KEK_BYTES)).decode("ascii"),
        }

    def _fresh_document(self) -> dict[str, Any]:
        return {"format": FILE_FORMAT, "current": 1, "keys": [self._new_entry(1)]}

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """An exclusive lock (a sibling ``.lock`` file) across processes."""
        if not self.path.parent.exists():
            self.path.parent.mkdir(mode=0o700, parents=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _check_permissions(self, info: os.stat_result) -> None:
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise KeyRingError(
                f"the key ring {self.path} is readable or writable by group or others "
                f"(mode {mode:04o}); run `chmod 600 {self.path}` so only its owner can read it"
            )

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise KeyRingError(f"cannot open the key ring {self.path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            self._check_permissions(os.fstat(handle.fileno()))
            raw = handle.read()
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if not (
            isinstance(document, dict)
            and document.get("format") == FILE_FORMAT
            and isinstance(document.get("keys"), list)
            and document["keys"]
            and all(isinstance(entry, dict) for entry in document["keys"])
        ):
            raise KeyRingError(f"the key ring {self.path} is not a {FILE_FORMAT} file")
        return document

    def _write(self, document: dict[str, Any]) -> None:
        """Write atomically: temp file (0600) in the same directory, fsync, rename, fsync dir."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        document = self._read()
        keys: dict[int, AESGCM] = {}
        meta: list[KeyVersion] = []
        try:
            for entry in document["keys"]:
                version = int(entry["version"])
                key = base64.b64decode(entry["key"], validate=True)
                if len(key) != KEK_BYTES or version < 1 or version in keys:
                    raise ValueError(version)
                keys[version] = AESGCM(key)
                meta.append(KeyVersion(version, str(entry["created"]), str(entry["status"])))
            current = int(document["current"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise KeyRingError(f"the key ring {self.path} holds a malformed key entry") from None
        if current not in keys:
            raise KeyRingError(f"the key ring {self.path} names a current version it lacks")
        info = self.path.stat()
        self._keys, self._meta, self._current = keys, meta, current
        self._stamp = (info.st_mtime_ns, info.st_ino)
        self._checked = time.monotonic()

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._checked >= _RELOAD_SECONDS:
            self._reload_now()

    def _reload_now(self) -> None:
        with self._lock:
            self._checked = time.monotonic()
            try:
                info = self.path.stat()
            except OSError as exc:
                raise KeyRingError(f"the key ring {self.path} is gone: {exc.strerror}") from None
            if (info.st_mtime_ns, info.st_ino) != self._stamp:
                self._load_locked()
