from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.vault.envelope import open_sealed, parse_sealed, rewrap, seal, sealed_key_version
from keepfaith.vault.errors import VaultError
from keepfaith.vault.keyring import FileKeyRing

SECRET = b"4242424242424242"


@pytest.fixture(scope="module")
def shared_keyring(tmp_path_factory: pytest.TempPathFactory) -> FileKeyRing:
    """One ring for the fuzz test (it never changes the ring)."""
    return FileKeyRing(tmp_path_factory.mktemp("ring") / "keyring.json")


@pytest.mark.feature("security.vault.envelope_encryption")
@pytest.mark.clause("QS-5")
def test_round_trip_and_self_describing_format(keyring: FileKeyRing) -> None:
    token = seal(SECRET, record_id="order-1", keyring=keyring)
    assert token.startswith("kf1$aes256gcm$kek=1$")
    assert token.count("$") == 4
    assert SECRET.decode() not in token  # (a short run such as "4242" can occur by chance)
    assert open_sealed(token, record_id="order-1", keyring=keyring) == SECRET
    assert seal(SECRET, record_id="order-1", keyring=keyring) != token  # fresh key and nonce


@pytest.mark.clause("QS-5")
def test_a_ciphertext_moved_to_another_record_fails(keyring: FileKeyRing) -> None:
    token = seal(SECRET, record_id="order-1", keyring=keyring)
    with pytest.raises(VaultError, match="does not belong to this record or was altered"):
        open_sealed(token, record_id="order-2", keyring=keyring)
    with pytest.raises(VaultError, match="does not belong to this record or was altered"):
        open_sealed(token, record_id="order-1", keyring=keyring, purpose="bank-account")


@pytest.mark.clause("QS-5")
def test_swapping_the_card_ciphertext_between_records_fails(keyring: FileKeyRing) -> None:
    one = seal(SECRET, record_id="order-1", keyring=keyring).split("$")
    two = seal(b"5555555555554444", record_id="order-2", keyring=keyring).split("$")
    spliced = "$".join([*one[:4], two[4]])
    with pytest.raises(VaultError, match="does not belong to this record or was altered"):
        open_sealed(spliced, record_id="order-1", keyring=keyring)


@pytest.mark.clause("QS-3")
def test_every_altered_character_is_detected(keyring: FileKeyRing) -> None:
    token = seal(SECRET, record_id="order-1", keyring=keyring)
    for index in range(len(token)):
        replacement = "A" if token[index] != "A" else "B"
        altered = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(VaultError):
            open_sealed(altered, record_id="order-1", keyring=keyring)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "does not start with kf1"),
        ("pbkdf2$x", "does not start with kf1"),
        ("kf1$des$kek=1$AAAA$AAAA", "unknown algorithm"),
        ("kf1$aes256gcm$kek=1$AAAA", "expected kf1\\$aes256gcm\\$kek=N\\$key\\$data"),
        ("kf1$aes256gcm$kek=x$AAAA$" + "A" * 40, "key version is not a number"),
        ("kf1$aes256gcm$kek=1$AA+A$" + "A" * 40, "wrapped key is not base64url"),
        ("kf1$aes256gcm$kek=1$AAAA$AAAA", "ciphertext is truncated"),
    ],
)
def test_malformed_values_get_clear_errors(token: str, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        parse_sealed(token)


@pytest.mark.clause("QS-3")
def test_rotate_then_every_record_still_opens(keyring: FileKeyRing) -> None:
    records = {f"order-{i}": f"card-{i}".encode() for i in range(20)}
    stored = {rid: seal(secret, record_id=rid, keyring=keyring) for rid, secret in records.items()}
    keyring.rotate()
    keyring.rotate()
    rewrapped = {
        rid: rewrap(token, record_id=rid, keyring=keyring) for rid, token in stored.items()
    }
    for rid, token in rewrapped.items():
        assert sealed_key_version(token) == 3
        assert token.split("$")[4] == stored[rid].split("$")[4]  # card ciphertext untouched
        assert open_sealed(token, record_id=rid, keyring=keyring) == records[rid]
        assert open_sealed(stored[rid], record_id=rid, keyring=keyring) == records[rid]
        assert rewrap(token, record_id=rid, keyring=keyring) == token


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=300)
    | st.from_regex(
        r"kf1\$aes256gcm\$kek=[0-9]{1,3}\$[A-Za-z0-9_=+-]{0,90}\$[A-Za-z0-9_-]{0,90}",
        fullmatch=True,
    )
)
def test_any_stored_string_opens_or_raises_vault_error(
    shared_keyring: FileKeyRing, token: str
) -> None:
    try:
        open_sealed(token, record_id="order-1", keyring=shared_keyring)
    except VaultError as exc:
        assert str(exc)
    else:
        raise AssertionError("a random string opened")
