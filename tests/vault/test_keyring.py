from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from keepfaith.vault.errors import KeyRingError
from keepfaith.vault.keyring import FileKeyRing, KeyRing, WrappedKey

DATA_KEY = bytes(range(32))


@pytest.mark.clause("QS-3")
def test_key_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ring.json"
    ring = FileKeyRing(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ring.current_version == 1
    assert isinstance(ring, KeyRing) is True
    document = json.loads(path.read_text())
    assert len(document["keys"]) == 1
    assert [v.status for v in ring.versions()] == ["current"]


@pytest.mark.clause("QS-3")
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    FileKeyRing(path)
    os.chmod(path, 0o644)
    with pytest.raises(
        KeyRingError, match=r"readable or writable by group or others \(mode 0644\)"
    ):
        FileKeyRing(path)


def test_a_malformed_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"{not json")
    os.close(fd)
    with pytest.raises(KeyRingError, match="is not a keepfaith-keyring/1 file"):
        FileKeyRing(path)


@pytest.mark.clause("QS-3")
def test_wrapped_key_is_bound_to_its_associated_data(keyring: FileKeyRing) -> None:
    wrapped = keyring.wrap(DATA_KEY, aad=b"order-1")
    assert keyring.unwrap(wrapped, aad=b"order-1") == DATA_KEY
    with pytest.raises(KeyRingError, match="does not belong to this record or was altered"):
        keyring.unwrap(wrapped, aad=b"order-2")
    assert "blob" not in repr(wrapped) and repr(wrapped) == "<WrappedKey kek=1 60 bytes>"


@pytest.mark.clause("QS-3")
def test_rotation_retires_old_versions_to_unwrap_only(keyring: FileKeyRing) -> None:
    old = keyring.wrap(DATA_KEY, aad=b"r")
    assert keyring.rotate() == 2
    new = keyring.wrap(DATA_KEY, aad=b"r")
    assert (old.version, new.version) == (1, 2)
    assert keyring.unwrap(old, aad=b"r") == DATA_KEY
    assert [(v.version, v.status) for v in keyring.versions()] == [(1, "retired"), (2, "current")]
    with pytest.raises(KeyRingError, match="wrapped data key does not belong"):
        keyring.unwrap(WrappedKey(2, old.blob), aad=b"r")  # claimed under another version
    with pytest.raises(KeyRingError, match="key version 9 is not in the key ring"):
        keyring.unwrap(WrappedKey(9, old.blob), aad=b"r")


def test_another_process_sees_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    first, second = FileKeyRing(path), FileKeyRing(path)
    second.rotate()
    wrapped = second.wrap(DATA_KEY, aad=b"r")
    assert first.unwrap(wrapped, aad=b"r") == DATA_KEY  # reloads on an unknown version


def test_concurrent_rotations_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    rings = [FileKeyRing(path) for _ in range(4)]
    threads = [threading.Thread(target=ring.rotate) for ring in rings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = [v.version for v in FileKeyRing(path).versions()]
    assert versions == [1, 2, 3, 4, 5]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
