"""Fixtures for the shop tests: a private key ring, a fresh local test processor, helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from keepfaith.inforce import in_force
from keepfaith.vault.gateway import payment_processor, payment_processor_reset
from tests.forms import as_posted

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
    return payment_processor(policy=in_force().policy).ledger  # type: ignore[attr-defined,no-any-return]


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


def checkout_page(client: Client, page: Any = None) -> dict[str, str]:
    """What a browser sends back for the checkout page (GET it unless given): the token, the
    invoice details from the account (an address where it has none), the choices as shown."""
    page = page if page is not None else client.get("/checkout/")
    data = as_posted(page.context["form"])
    if page.context.get("party") is not None:
        data.update(as_posted(page.context["party"]))
    data.setdefault("billing_address", "Nellikevej 1, 2625 Vallensbaek")
    return data


def checkout(client: Client, **fields: Any) -> Any:
    """GET the checkout, then POST what the page showed with the test card and ``fields``."""
    return client.post("/checkout/", {**checkout_page(client), **card_fields(), **fields})


OV_DETAILS = {
    "name": "Alice Andersen",
    "email": "alice@example.com",
    "phone": "+45 12 34 56 78",
    "organisation": "Andersen ApS",
    "address": "Nellikevej 1, 2625 Vallensbaek",
}


def go_ahead(client: Client, order: Any, **fields: Any) -> Any:
    """GET the waiting order's page, then POST its go-ahead form as shown (the details the
    order kept, then the account's), with ``fields`` as the customer changed them."""
    page = client.get(f"/account/orders/{order.number}/")
    data = as_posted(page.context["party"], **fields) if page.context.get("party") else {}
    data["go_ahead"] = "proceed"
    return client.post(f"/account/orders/{order.number}/go-ahead/", data)


# 00:30 on 1 January 2027 in Copenhagen: a UTC date and a Danish one a year apart.
NEW_YEAR_IN_COPENHAGEN = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)


def bought_at_new_year(customer: Any, settings: Any) -> tuple[Client, Any]:
    """``customer`` signed in, with one order paid at ``NEW_YEAR_IN_COPENHAGEN``, under the
    Danish company's time zone."""
    from keepfaith.store.models import Order

    settings.TIME_ZONE = "Europe/Copenhagen"
    client = Client()
    client.force_login(customer)
    add_to_cart(client, "qualityssl-mobile")
    checkout(client)
    late = NEW_YEAR_IN_COPENHAGEN
    Order.objects.filter(customer=customer).update(created=late, paid_at=late)
    return client, Order.objects.get(customer=customer)


def renewal_charged(customer: Any) -> tuple[Any, Any]:
    """``customer`` buys a mobile certificate for 12 months, and its renewal is charged once
    (a row as a paid renewal leaves it): the order and the charge."""
    from keepfaith.store.models import Order, Renewal, RenewalCharge

    shopper = Client()
    shopper.force_login(customer)
    add_to_cart(shopper, "qualityssl-mobile", term="12")
    checkout(shopper)
    order = Order.objects.get(customer=customer)
    renewal = Renewal.objects.get(line__order=order)
    charge = RenewalCharge.objects.create(
        renewal=renewal, period_start=renewal.due, period_end=renewal.due, net_minor=100,
        vat_minor=25, total_minor=125, currency=order.currency, payment_reference="ch_test",
        trigger=RenewalCharge.Trigger.CUSTOMER,
    )  # fmt: skip
    return order, charge
