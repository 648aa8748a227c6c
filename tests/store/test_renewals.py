"""Renewals are paid with the card on file, opened only for the declared processor."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.store.models import Order, Renewal
from tests.store.conftest import add_to_cart, checkout, processor_ledger


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_renewal_is_paid_once_with_the_card_on_file(alice):
    client = Client()
    client.force_login(alice)
    add_to_cart(client, "qualityssl-mobile", term="24")
    checkout(client)
    order = Order.objects.get()
    renewal = Renewal.objects.get(line__order=order)
    assert renewal.price_minor < order.subtotal_minor  # the catalogue's renewal discount
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "Renew now with Visa •••• 4242" in page
    url = f"/account/orders/{order.number}/renew/{renewal.pk}/"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double submit: still one charge
    renewal.refresh_from_db()
    assert renewal.status == "renewed"
    charges = processor_ledger()
    assert len(charges) == 2
    vat = order.vat_minor * renewal.price_minor // order.subtotal_minor
    assert abs(charges[1].amount_minor - (renewal.price_minor + vat)) <= 1
    disclosure = AuditEntry.objects.get(action="vault.disclose")
    assert disclosure.outcome == "disclosed" and disclosure.subject == alice.customer_number
    assert AuditEntry.objects.filter(action="store.renewal_pay").count() == 1


def test_someone_elses_renewal_is_not_found(alice, carol):
    client = Client()
    client.force_login(alice)
    add_to_cart(client, "qualityssl-mobile")
    checkout(client)
    renewal = Renewal.objects.get()
    other = Client()
    other.force_login(carol)
    url = f"/account/orders/{renewal.line.order.number}/renew/{renewal.pk}/"
    assert other.post(url).status_code == 404
    renewal.refresh_from_db()
    assert renewal.status == "due"
