"""Fixtures for the rights tests: the BE policy, a private vault, a customer with an order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.vault.gateway import payment_processor_reset
from tests.conftest import PASSWORD
from tests.store.conftest import QUALITYSSL, add_to_cart, checkout


@pytest.fixture(autouse=True)
def rights_setup(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    settings.POLICY_PATH = QUALITYSSL
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    payment_processor_reset()
    yield
    payment_processor_reset()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def place_order(user: User) -> Client:
    client = signed_in(user)
    add_to_cart(client, "qualityssl-mobile", term="12")
    response = checkout(client)
    assert response.status_code == 302, getattr(response, "content", b"")[:500]
    return client


def ask(client: Client, kind: str, **extra: Any) -> Any:
    return client.post("/account/privacy/", {"kind": kind, "password": PASSWORD, **extra})
