"""Fixtures for the vault tests: a real key ring in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.cardcheck import luhn_valid
from keepfaith.vault.keyring import FileKeyRing


def with_check_digit(body: str) -> str:
    """``body`` plus the one digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@pytest.fixture
def keyring(tmp_path: Path) -> FileKeyRing:
    return FileKeyRing(tmp_path / "keys" / "keyring.json")


@pytest.fixture
def django_vault(settings, tmp_path: Path):
    """The Django side of the vault on a private key ring and a fresh local test processor."""
    from keepfaith.vault.gateway import payment_processor_reset

    settings.VAULT_KEYRING_PATH = tmp_path / "django-vault" / "keyring.json"
    payment_processor_reset()
    yield settings
    payment_processor_reset()
