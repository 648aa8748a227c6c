"""After checkout: the thank-you page, the invoice, cancelling an order that still waits for
the go-ahead (nothing goes to the outside party), product names instead of their ids."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.consent.models import ConsentEvent
from keepfaith.store.models import Order, OrderStatus, OutsideTransfer, Renewal
from tests.store.conftest import OV_DETAILS, add_to_cart, checkout, go_ahead


def customer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.clause("SITE-2")
def test_checkout_ends_on_a_thank_you_page(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    response = checkout(client)
    order = Order.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for your order" in page
    assert order.number in page
    assert "QualitySSL Mobile" in page
    assert f"/account/orders/{order.number}/invoice/" in page
    assert "qualityssl-mobile" not in page  # the product's name, never its id


@pytest.mark.clause("SITE-2")
def test_the_invoice_names_seller_vat_number_net_vat_and_total(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="24")
    checkout(client)
    order = Order.objects.get()
    page = client.get(f"/account/orders/{order.number}/invoice/").content.decode()
    assert "BitEngines" in page and "QualitySSL" in page
    assert "DK12345678" in page
    assert "billing@qualityssl.com" in page and "privacy@" not in page  # questions on a bill
    assert "Nellikevænget 12" in page
    assert order.number in page
    assert "QualitySSL Mobile, 24 months" in page  # product, options and term, one cell
    # every row of the table spans its columns: no totals out in a column of their own
    table = page[page.index('<table class="lines">') : page.index("</table>")]
    columns = len(re.findall(r"<th[ >]", table[: table.index("</thead>")]))
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("</thead>") :], re.S):
        spans = [int(n) for n in re.findall(r'colspan="(\d+)"', row)]
        assert row.count("<td") - len(spans) + sum(spans) == columns, row
    for label in ("Net amount (excl. VAT)", "VAT 25 %", "Total"):
        assert label in page
    assert order.vat_minor > 0 and order.total_minor == order.subtotal_minor + order.vat_minor
    danish = client.get(f"/da/account/orders/{order.number}/invoice/").content.decode()
    assert "Faktura" in danish
    assert "Moms" in danish or "moms" in danish
    assert "QualitySSL Mobile, 24 måneder" in danish


def test_another_customer_gets_no_invoice(alice, carol):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    checkout(client)
    number = Order.objects.get().number
    other = customer_client(carol)
    for path in ("invoice", "thanks", "cancel"):
        assert other.get(f"/account/orders/{number}/{path}/").status_code == 404


@pytest.mark.clause("BE-10")
def test_a_waiting_order_can_be_cancelled_and_nothing_goes_out(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="wait", **OV_DETAILS)
    order = Order.objects.get()
    assert order.status == OrderStatus.WAITING
    thanks = client.get(f"/account/orders/{order.number}/thanks/").content.decode()
    assert "waits for your go-ahead" in thanks
    assert (
        f"/account/orders/{order.number}/cancel/"
        in client.get(f"/account/orders/{order.number}/").content.decode()
    )
    assert (
        "nothing has been sent"
        in client.get(f"/account/orders/{order.number}/cancel/").content.decode()
    )
    client.post(f"/account/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Renewal.objects.filter(line__order=order).count() == 0
    entry = AuditEntry.objects.get(action="store.order_cancel")
    assert entry.detail["refund_due_minor"] == order.total_minor
    # a go-ahead posted afterwards sends nothing
    go_ahead(client, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert OutsideTransfer.objects.count() == 0
    assert not ConsentEvent.objects.filter(
        key="outside_party:certificate-authority", event="given"
    ).exists()


def test_an_active_order_cannot_be_cancelled_here(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    checkout(client)
    order = Order.objects.get()
    page = client.get(f"/account/orders/{order.number}/cancel/").content.decode()
    assert "can no longer be cancelled" in page and "Yes, cancel" not in page
    client.post(f"/account/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE


def test_the_orders_list_names_products_not_ids(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    checkout(client)
    page = client.get("/account/orders/").content.decode()
    assert "qualityssl-mobile" not in page
    assert "QualitySSL Mobile" in page


def test_the_invoice_is_dated_in_the_company_s_time_zone(alice, settings):
    """Stored in UTC, shown in KEEPFAITH_TIME_ZONE: an order paid at 23:30 UTC on 31 December
    is on 1 January on a Danish company's invoice (it said 31 December when shown in UTC)."""
    from tests.store.conftest import bought_at_new_year

    client, order = bought_at_new_year(alice, settings)
    page = client.get(f"/account/orders/{order.number}/invoice/").content.decode()
    assert "1 January 2027" in page and "31 December 2026" not in page
