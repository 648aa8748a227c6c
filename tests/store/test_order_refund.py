"""Cancelling a waiting order refunds its payment through the processor, once (BE-10)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.store.models import Order, OrderStatus
from keepfaith.store.ordercancel import RefundFailed, order_cancel_waiting
from keepfaith.vault.gateway import payment_processor, payment_processor_reset
from keepfaith.vault.processors import ProcessorError
from tests.conftest import make_staff, verified_client
from tests.store.conftest import OV_DETAILS, add_to_cart, checkout


def refunds() -> list[Any]:
    return payment_processor(policy=in_force().policy).refund_ledger  # type: ignore[attr-defined,no-any-return]


def waiting_order(user: Any) -> tuple[Client, Order]:
    client = Client()
    client.force_login(user)
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="wait", **OV_DETAILS)
    order = Order.objects.get()
    assert order.status == OrderStatus.WAITING and order.total_minor > 0
    return client, order


@pytest.mark.clause("BE-10")
def test_cancelling_refunds_the_payment_exactly_once_on_a_double_submit(alice):
    client, order = waiting_order(alice)
    first = client.post(f"/account/orders/{order.number}/cancel/", follow=True)
    second = client.post(f"/account/orders/{order.number}/cancel/", follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    [refund] = refunds()
    assert refund.charge_reference == order.payment_reference
    assert (refund.amount_minor, refund.currency) == (order.total_minor, order.currency)
    assert (order.refund_reference, order.refunded_minor) == (refund.reference, order.total_minor)
    assert order.refunded_at is not None
    assert "to the card you paid with" in first.content.decode()
    assert "can no longer be cancelled" in second.content.decode()
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "data-refund" in page and refund.reference in page
    invoice = client.get(f"/account/orders/{order.number}/invoice/").content.decode()
    assert "data-refunded" in invoice and "This order was cancelled." in invoice
    [entry] = AuditEntry.objects.filter(action="store.order_cancel")
    assert entry.detail["refunded_minor"] == order.total_minor
    assert entry.detail["refund_reference"] == refund.reference
    # no card data in the audit; the processor's references are random hex (in which "4242"
    # turns up by chance), checked for their shape instead
    references = {k: v for k, v in entry.detail.items() if k.endswith("_reference")}
    assert all(re.fullmatch(r"(re|ch)_[0-9a-f]{24}", v) for v in references.values())
    kept = {k: v for k, v in entry.detail.items() if k not in references}
    assert "4242" not in str(kept)


@pytest.mark.clause("SITE-2")
def test_a_cancellation_is_confirmed_by_mail_in_the_customer_s_language(alice):
    """Before, the refund was shown on the page only: no written confirmation of money sent
    back. Once, however often the form is sent."""
    from django.core import mail

    from keepfaith.comms.delivery import deliver_pending

    alice.language = "da"
    alice.save(update_fields=["language"])
    client, order = waiting_order(alice)
    mail.outbox.clear()
    for _ in range(2):
        client.post(f"/account/orders/{order.number}/cancel/")
    deliver_pending()
    order.refresh_from_db()
    [sent] = [m for m in mail.outbox if "annulleret" in m.subject]  # the receipt went too
    assert sent.subject == f"Din ordre {order.number} er annulleret" and sent.to == [alice.email]
    body = str(sent.body)
    assert f"Refusionsreference: {order.refund_reference}" in body
    assert f"/da/account/orders/{order.number}/" in body


@pytest.mark.clause("BE-10")
def test_a_refused_refund_leaves_the_order_waiting(alice, monkeypatch):
    client, order = waiting_order(alice)
    processor = payment_processor(policy=in_force().policy)

    def refuse(**kwargs: Any) -> Any:
        raise ProcessorError("the processor is unavailable")

    monkeypatch.setattr(processor, "refund", refuse)
    page = client.post(f"/account/orders/{order.number}/cancel/", follow=True).content.decode()
    assert "could not refund your payment" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING and order.refunded_minor == 0
    assert not AuditEntry.objects.filter(action="store.order_cancel").exists()


@pytest.mark.clause("BE-10")
def test_a_free_waiting_order_refunds_nothing(alice):
    _, order = waiting_order(alice)
    Order.objects.filter(pk=order.pk).update(total_minor=0, payment_reference="")
    order.refresh_from_db()
    cancelled = order_cancel_waiting(order=order, customer=alice, **_policy_and_gate(alice))
    assert cancelled.status == OrderStatus.CANCELLED
    assert (cancelled.refunded_minor, cancelled.refund_reference) == (0, "")
    assert refunds() == []


def test_a_paid_order_without_a_charge_reference_is_not_cancelled(alice):
    _, order = waiting_order(alice)
    Order.objects.filter(pk=order.pk).update(payment_reference="")
    order.refresh_from_db()
    with pytest.raises(RefundFailed, match="no processor reference"):
        order_cancel_waiting(order=order, customer=alice, **_policy_and_gate(alice))
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING


@pytest.mark.clause("QS-5")
def test_the_console_order_page_shows_the_refund(alice):
    client, order = waiting_order(alice)
    client.post(f"/account/orders/{order.number}/cancel/")
    order.refresh_from_db()
    bill = make_staff("bill@staff.example", "billing")
    body = verified_client(bill).get(f"/console/orders/{order.number}/").content.decode()
    assert 'class="refund"' in body and order.refund_reference in body
    assert "No refunds" not in body
    assert "4242424242424242" not in body


@pytest.mark.clause("BE-10")
def test_the_server_refunds_what_another_process_charged(alice, settings, tmp_path):
    """`make run`: the demo process charged the order, the server process cancels it."""
    settings.PAYMENT_TEST_LEDGER = tmp_path / "var" / "payment-test-ledger.sqlite3"
    payment_processor_reset()
    client, order = waiting_order(alice)  # charged by the "demo" process's processor
    payment_processor_reset()  # the server: a process of its own, with a processor of its own
    server = payment_processor(policy=in_force().policy)
    assert [c.reference for c in server.ledger] == [order.payment_reference]  # type: ignore[attr-defined]
    page = client.post(f"/account/orders/{order.number}/cancel/", follow=True).content.decode()
    assert "to the card you paid with" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.refunded_minor == order.total_minor
    [refund] = refunds()
    assert refund.charge_reference == order.payment_reference
    settings.PAYMENT_TEST_LEDGER = None  # in memory again: that processor never saw the charge
    payment_processor_reset()
    with pytest.raises(ProcessorError, match="no approved charge"):
        payment_processor(policy=in_force().policy).refund(
            charge_reference=order.payment_reference, amount_minor=1, currency=order.currency
        )


def _policy_and_gate(customer):
    now = in_force()
    return {"policy": now.policy, "gate": now.gate(actor=Actor("customer", customer.subject_ref))}


@pytest.mark.clause("QS-5")
def test_the_refund_asks_the_gate_and_is_audited(alice):
    client, order = waiting_order(alice)
    client.post(f"/account/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    asked = [
        entry
        for entry in AuditEntry.objects.filter(subject=alice.subject_ref, action="gate.check")
        if entry.detail.get("context") == f"refund {order.number}"
    ]
    assert [(e.outcome, e.detail["recipient"]) for e in asked] == [("allowed", "payment-processor")]
    client.post(f"/account/orders/{order.number}/cancel/")  # a second submit refunds nothing
    again = AuditEntry.objects.filter(subject=alice.subject_ref, action="gate.check")
    assert [e for e in again if e.detail.get("context") == f"refund {order.number}"] == asked


@pytest.mark.clause("QS-5")
def test_a_refund_the_gate_refuses_leaves_the_order_waiting(alice):
    """A customer who restricted the processing of their data (Art. 18): the policy does not
    permit payment processing under restriction, so nothing goes to the processor."""
    from keepfaith.consent.services import consent_record
    from keepfaith.gate import RESTRICTION_KEY

    client, order = waiting_order(alice)
    consent_record(
        subject=alice.subject_ref,
        key=RESTRICTION_KEY,
        event="opted-out",
        source="test",
        actor=Actor("customer", alice.subject_ref),
        evidence={},
    )
    page = client.post(f"/account/orders/{order.number}/cancel/", follow=True).content.decode()
    assert "While the use of your data is restricted" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING and refunds() == []
    refused = AuditEntry.objects.filter(subject=alice.subject_ref, outcome="refused").last()
    assert refused is not None and refused.detail["context"] == f"refund {order.number}"


@pytest.mark.clause("QS-5")
def test_a_refund_to_a_recipient_the_policy_does_not_name_is_refused(alice, monkeypatch):
    """Not the customer's choice but the policy: the page says so, not "restricted"."""
    from types import SimpleNamespace

    from keepfaith.store import ordercancel

    client, order = waiting_order(alice)
    monkeypatch.setattr(
        ordercancel, "payment_processor", lambda policy: SimpleNamespace(name="someone-else")
    )
    page = client.post(f"/account/orders/{order.number}/cancel/", follow=True).content.decode()
    assert "Our privacy policy does not let us send this refund" in page
    assert "restricted" not in page
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING and refunds() == []


@pytest.mark.clause("BE-10")
def test_a_cancelled_order_offers_neither_a_certificate_nor_a_go_ahead(alice):
    """Seen in the demo: after the refund, the page still offered to set up the certificate
    and to send the details to the certificate authority."""
    client, order = waiting_order(alice)
    before = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "data-setup" in before and "go_ahead" in before
    client.post(f"/account/orders/{order.number}/cancel/")
    after = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "data-setup" not in after and 'name="go_ahead"' not in after
    assert 'id="certificates"' not in after  # no empty section under a cancelled order
    from tests.certs.pki import make_csr

    pem, _ = make_csr(["shop.example"], san=False)
    page = client.post(
        f"/account/orders/{order.number}/certificates/1/",
        {"names": "shop.example", "csr": pem.decode()},
    )
    assert page.status_code == 400 and "This order is cancelled" in page.content.decode()


@pytest.mark.clause("SITE-5")
def test_an_order_placed_in_english_reads_in_danish_on_a_danish_page(alice):
    """Seen in the demo: the line of an order bought in English stayed English under /da/."""
    client, order = waiting_order(alice)
    assert order.lines.get().description.endswith("12 months")
    page = client.get(f"/da/account/orders/{order.number}/").content.decode()
    assert "12 måneder" in page and "12 months" not in page


@pytest.mark.clause("BE-10")
def test_a_notice_the_gate_refuses_leaves_the_order_cancelled(alice, monkeypatch):
    """The refund went out before the mail is queued: a refused mail must not roll the
    cancel back (the money would be returned and the order still open)."""
    from keepfaith.gate import PolicyViolation
    from keepfaith.store import ordercancel

    def refuse(*, gate: Any, customer: Any, **kwargs: Any) -> None:
        refused = gate.check(use="no.such.use", categories=("user.contact.email",),
                             subject=customer.subject_ref)  # fmt: skip
        assert not refused.allowed
        raise PolicyViolation(refused)

    monkeypatch.setattr(ordercancel, "send_cancel_notice", refuse)
    _, order = waiting_order(alice)
    cancelled = order_cancel_waiting(order=order, customer=alice, **_policy_and_gate(alice))
    order.refresh_from_db()
    assert cancelled.status == order.status == OrderStatus.CANCELLED and len(refunds()) == 1
