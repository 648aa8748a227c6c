"""Fixtures for the shop tests: a private key ring, a fresh local test processor, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from keepfaith.vault.gateway import payment_processor, payment_processor_reset

BASE = Path(django_settings.BASE_DIR)
QUALITYSSL = BASE / "examples" / "qualityssl" / "policy.yaml"
QUALISPACE = BASE / "examples" / "qualispace" / "policy.yaml"
VISA = "4242 4242 4242 4242"


@pytest.fixture(autouse=True)
def private_vault(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Each test gets its own key ring file and an empty in-memory processor."""
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    settings.POLICY_PATH = QUALITYSSL
    payment_processor_reset()
    yield
    payment_processor_reset()


@pytest.fixture
def qualispace(settings: Any) -> None:
    settings.POLICY_PATH = QUALISPACE


def processor_ledger() -> list[Any]:
    return payment_processor().ledger  # type: ignore[attr-defined,no-any-return]


def add_to_cart(client: Client, product: str, **fields: Any) -> Any:
    data = {"product": product, "action": "add", "quantity": "1", **fields}
    return client.post("/cart/", data)


NEXT_YEAR = str(date.today().year + 1)


def card_fields(number: str = VISA, code: str = "123", year: str = NEXT_YEAR) -> dict[str, str]:
    return {
        "card_number": number,
        "expiry_month": "12",
        "expiry_year": year,
        "security_code": code,
    }


def checkout(client: Client, **fields: Any) -> Any:
    """GET the checkout (for its token), then POST it with ``fields`` over card defaults."""
    page = client.get("/checkout/")
    token = page.context["form"].initial["checkout_token"]
    data = {"checkout_token": token, **card_fields(), **fields}
    return client.post("/checkout/", data)


OV_DETAILS = {
    "name": "Alice Andersen",
    "email": "alice@example.com",
    "phone": "+45 12 34 56 78",
    "organisation": "Andersen ApS",
    "address": "Nellikevej 1, 2625 Vallensbaek",
}
