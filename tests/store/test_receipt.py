"""The order receipt: transactional, in the customer's language, card masked, gate-checked."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.comms.models import OutboxMessage
from keepfaith.store.models import Order
from tests.store.conftest import add_to_cart, checkout


def _buy(user, django_capture_on_commit_callbacks) -> Order:
    client = Client()
    client.force_login(user)
    add_to_cart(client, "qualityssl-mobile", term="12")
    with django_capture_on_commit_callbacks(execute=True):
        checkout(client)
    return Order.objects.get(customer=user)


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("BE-8")
def test_a_paid_order_sends_one_receipt_without_unsubscribe(
    alice, django_capture_on_commit_callbacks
):
    order = _buy(alice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == [alice.email]
    assert order.number in receipt.subject
    assert "Visa •••• 4242" in receipt.body
    assert "4242 4242 4242 4242" not in receipt.body and "4242424242424242" not in receipt.body
    assert "List-Unsubscribe" not in receipt.extra_headers
    assert receipt.extra_headers["Auto-Submitted"] == "auto-generated"
    # signed as the customer knows the shop, with the company behind it (as the invoice)
    assert receipt.body.rstrip().endswith("QualitySSL (BitEngines)")
    assert AuditEntry.objects.filter(
        action="gate.check",
        subject=alice.customer_number,
        use="essential.service.notifications.email",
        outcome="allowed",
    ).exists()


def test_the_receipt_is_in_the_customer_s_language(alice, django_capture_on_commit_callbacks):
    alice.language = "da"
    alice.save(update_fields=["language"])
    order = _buy(alice, django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject == f"Din ordre {order.number}"
    assert "Tak for din ordre" in mail.outbox[0].body
    # the order was placed on an English page: its lines are still said in Danish
    assert "months" not in mail.outbox[0].body and "måneder" in mail.outbox[0].body


def test_a_mail_failure_never_undoes_the_order(
    alice, django_capture_on_commit_callbacks, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    order = _buy(alice, django_capture_on_commit_callbacks)
    assert order.status == "active"
    row = OutboxMessage.objects.get(idempotency_key=f"receipt:{order.number}")
    assert row.status == "queued"  # kept for the mail worker
    assert "cannot reach the mail server" in row.last_error
