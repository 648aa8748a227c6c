"""SITE-5: the payment processor and the certificate authority are named in the page's language
(the policy names them per language), while the gate and the records keep their keys."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.consent.receipts import consent_receipt
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from keepfaith.store.models import Order
from tests.store.conftest import OV_DETAILS, add_to_cart, card_fields, checkout, checkout_page

ENGLISH = ("Card payment processor", "Certificate authority")
TAGS = re.compile(r"<[^>]+>")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return TAGS.sub(" ", response.content.decode())


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("QS-5")
@pytest.mark.clause("BE-10")
def test_the_danish_statement_names_the_processor_and_the_authority_in_danish(db):
    danish = _text(Client().get("/da/privacy/"))
    assert "Kortbetalingsudbyder" in danish
    assert "Certifikatudstederen modtager" in danish
    assert not [name for name in ENGLISH if name in danish]
    english = _text(Client().get("/privacy/"))
    assert "Card payment processor" in english and "Certificate authority receives" in english
    assert "Kortbetalingsudbyder" not in english


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("BE-10")
def test_the_danish_checkout_notice_names_the_authority_in_danish(alice):
    client = _signed_in(alice)
    add_to_cart(client, "qualityssl")
    page = client.get("/da/checkout/")
    assert page.context["party"].party_notice.name == "Certifikatudstederen"
    danish = _text(page)
    assert "Certifikatudsteder" in danish
    assert "Certificate authority" not in danish
    english = _text(client.get("/checkout/"))
    assert "Go on with Certificate authority?" in english


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("BE-10")
def test_a_waiting_order_and_the_consent_page_name_the_authority_in_danish(alice):
    client = _signed_in(alice)
    add_to_cart(client, "qualityssl")
    assert checkout(client, go_ahead="wait", **OV_DETAILS).status_code == 302
    order = Order.objects.get()
    waiting = _text(client.get(f"/da/account/orders/{order.number}/"))
    assert "Certifikatudsteder" in waiting and "Certificate authority" not in waiting
    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key="outside_party:certificate-authority",
        event="notice-acknowledged",
        source="checkout",
    )
    words = _text(client.get("/da/account/consent/"))
    assert "Certifikatudsteder" in words and "Certificate authority" not in words


@pytest.mark.clause("SITE-5")
def test_a_danish_consent_receipt_names_the_authority_in_danish(alice):
    event = consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key="outside_party:certificate-authority",
        event="given",
        source="checkout",
    )
    danish = consent_receipt(event=event, policy=in_force().policy, lang="da")
    assert danish["services"][0]["service"] == "Certifikatudstederen"
    assert danish["services"][0]["purposes"][0]["thirdPartyName"] == "Certifikatudstederen"
    english = consent_receipt(event=event, policy=in_force().policy, lang="en")
    assert english["services"][0]["service"] == "Certificate authority"


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("QS-5")
def test_the_audit_log_keeps_the_recipients_keys_whatever_the_page_language(alice):
    client = _signed_in(alice)
    add_to_cart(client, "qualityssl")
    shown = checkout_page(client, client.get("/da/checkout/"))
    posted = {**shown, **card_fields(), **OV_DETAILS, "go_ahead": "proceed"}
    assert client.post("/da/checkout/", posted).status_code == 302
    assert Order.objects.get().go_ahead_given is True
    call_command("store", "transfers", stdout=StringIO(), stderr=StringIO())
    checks = AuditEntry.objects.filter(action="gate.check", outcome="allowed")
    recipients = set(checks.values_list("detail__recipient", flat=True)) - {None}
    assert recipients == {"payment-processor", "certificate-authority"}
