"""Billing staff see orders with masked cards; every view is audited; others are refused."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.audit.models import AuditEntry
from tests.conftest import make_staff, verified_client
from tests.store.conftest import add_to_cart, checkout


@pytest.mark.clause("QS-5")
@pytest.mark.clause("QS-3")
def test_billing_sees_orders_with_masked_cards_only_and_is_audited(alice, bob):
    client = Client()
    client.force_login(alice)
    add_to_cart(client, "qualityssl-mobile")
    checkout(client)
    bill = make_staff("bill@staff.example", "billing")
    page = verified_client(bill).get("/console/orders/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Visa •••• 4242" in body and alice.customer_number in body
    assert "4242424242424242" not in body and "4242 4242 4242 4242" not in body
    entry = AuditEntry.objects.filter(action="console.orders.list").get()
    assert entry.actor == "bill@staff.example" and entry.subject == alice.customer_number
    assert verified_client(bob).get("/console/orders/").status_code == 403
