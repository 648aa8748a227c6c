"""Billing staff see the payments whose checkout placed no order and whose refund did not go
through, and settle them: ask the processor again, or record a refund made by hand. Each step is
in the audit log under their name; roles the policy does not grant see nothing (SITE-2, QS-3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor, audit_append
from keepfaith.store.refunds import REFUND_ACTION, refunds_settled, refunds_to_check
from tests.conftest import PASSWORD, make_staff, verified_client
from tests.store.conftest import add_to_cart, checkout, processor_ledger
from tests.store.test_checkout_refund import processor, signed_in, trial_taken_in_another_tab

PAGE = "/console/orders/"


def failed_refund(customer, monkeypatch) -> str:
    """A checkout whose order failed after its charge, with the processor down for the refund:
    the charge's reference."""
    paying = trial_taken_in_another_tab(customer, monkeypatch)

    def processor_down(**kwargs):
        raise TimeoutError("the processor did not answer")

    monkeypatch.setattr(processor(), "refund", processor_down)
    assert checkout(paying).status_code == 400
    monkeypatch.undo()
    [charged] = processor_ledger()
    return str(charged.reference)


def outcomes(reference: str) -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(action=REFUND_ACTION).order_by("seq")
    return [(e.outcome, e.actor) for e in entries if e.detail.get("charge_reference") == reference]


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_billing_sees_a_failed_refund_and_asks_the_processor_again(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    page = bill.get(PAGE).content.decode()
    assert "Payments without an order" in page
    assert reference in page and alice.customer_number in page
    assert "the processor did not answer" in page
    read = AuditEntry.objects.filter(action="console.orders.refunds", outcome="read").last()
    assert read is not None and read.actor == "bill@staff.example"
    assert alice.customer_number in read.detail["subjects"]

    done = bill.post(
        f"/console/payments/{reference}/refund/",
        {"confirm": "yes", "decision": "retry"},
        follow=True,
    )
    assert "was refunded" in done.content.decode()
    [refund] = processor().refund_ledger
    assert refund.charge_reference == reference
    assert outcomes(reference)[-1] == ("refunded", "bill@staff.example")
    [notice] = [m for m in mail.outbox if reference in m.body]
    assert notice.to == [alice.email]
    assert notice.subject.startswith("Your payment of EUR")
    assert refund.reference in notice.body
    after = bill.get(PAGE).content.decode()
    assert 'id="refund-1"' not in after and "None waits for a refund." in after
    assert 'id="refunds-settled"' in after  # what billing answered stays in sight
    assert refund.reference in after and "bill@staff.example, through the processor" in after
    again = bill.post(
        f"/console/payments/{reference}/refund/",
        {"confirm": "yes", "decision": "retry"},
        follow=True,
    )
    assert "no longer waiting for a refund" in again.content.decode()
    assert len(processor().refund_ledger) == 1


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_refund_made_by_hand_needs_its_reference_and_is_audited(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    url = f"/console/payments/{reference}/refund/"
    empty = bill.post(
        url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "  "}, follow=True
    )
    assert "Give the refund&#x27;s reference" in empty.content.decode()
    assert outcomes(reference)[-1][0] == "failed"
    bill.post(url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_manual_42"})
    last = AuditEntry.objects.filter(action=REFUND_ACTION).order_by("seq").last()
    assert last is not None and last.outcome == "refunded" and last.actor == "bill@staff.example"
    assert last.detail["refund_reference"] == "re_manual_42" and last.detail["by_hand"] is True
    assert not refunds_to_check()
    assert not processor().refund_ledger  # nothing asked of the processor
    [notice] = [m for m in mail.outbox if reference in m.body]
    assert "re_manual_42" in notice.body


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_the_customer_reads_that_the_money_is_back_in_their_language(alice, monkeypatch):
    alice.language = "da"
    alice.save(update_fields=["language"])
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    bill.post(f"/console/payments/{reference}/refund/", {"confirm": "yes", "decision": "retry"})
    [notice] = [m for m in mail.outbox if reference in m.body]
    assert notice.subject.startswith("Din betaling på")
    assert "Refusionsreference" in notice.body


@pytest.mark.clause("QS-3")
@pytest.mark.django_db(transaction=True)
def test_support_neither_sees_nor_refunds_payments(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    bob = verified_client(make_staff("bob@staff.example", "support"))
    assert bob.get(PAGE).status_code == 403  # the orders page is billing's
    refused = bob.post(
        f"/console/payments/{reference}/refund/", {"confirm": "yes", "decision": "retry"}
    )
    assert refused.status_code == 403
    assert not processor().refund_ledger
    assert outcomes(reference)[-1][0] == "failed"


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db
def test_a_refund_begun_and_never_confirmed_is_shown_after_ten_minutes(alice):
    audit_append(
        actor=Actor("customer", alice.subject_ref),
        action=REFUND_ACTION,
        outcome="queued",
        subject=alice.subject_ref,
        detail={"charge_reference": "ch_lost", "amount_minor": 1000, "currency": "EUR"},
    )
    assert refunds_to_check() == []  # a refund under way takes seconds
    [case] = refunds_to_check(now=timezone.now() + timedelta(minutes=11))
    assert (case.charge_reference, case.failed, case.amount_minor) == ("ch_lost", False, 1000)


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_payment_whose_checkout_placed_an_order_after_all_is_not_refunded(alice, monkeypatch):
    """A second submit of the checkout placed the order on the same charge: its money is the
    order's. (The first submit's refund failed when the database could not answer.)"""
    from keepfaith.store.models import Order

    reference = failed_refund(alice, monkeypatch)
    client = signed_in(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    checkout(client)
    Order.objects.filter(customer=alice).update(payment_reference=reference)
    assert refunds_to_check() == []
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    assert reference not in bill.get(PAGE).content.decode()
    bill.post(f"/console/payments/{reference}/refund/", {"confirm": "yes", "decision": "retry"})
    assert not processor().refund_ledger
    assert outcomes(reference)[-1][0] == "failed"


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.django_db(transaction=True)
def test_a_restricted_customers_payment_is_counted_not_shown_and_waits(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    client = signed_in(alice)
    client.post("/account/privacy/", {"kind": "restriction", "password": PASSWORD})
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    page = bill.get(PAGE).content.decode()
    assert 'id="refunds-restricted"' in page and "1 payment is left out" in page
    assert reference not in page
    refused = bill.post(
        f"/console/payments/{reference}/refund/", {"confirm": "yes", "decision": "retry"}
    )
    assert refused.status_code == 403
    assert not processor().refund_ledger


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_an_unknown_answer_is_refused_and_nothing_is_refunded(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    url = f"/console/payments/{reference}/refund/"
    assert (
        bill.post(
            url, {"confirm": "yes", "decision": "by_hnad", "refund_reference": "re_1"}
        ).status_code
        == 400
    )
    assert not processor().refund_ledger
    assert outcomes(reference)[-1][0] == "failed"


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_asking_again_holds_no_lock_and_a_second_answer_meanwhile_is_refused(alice, monkeypatch):
    """The processor is asked outside any transaction (a slow one blocks no other write), and
    the attempt is recorded as begun first: another staff member's answer meanwhile is
    refused, so the charge is settled once."""
    from django.db import connection

    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    ada = verified_client(make_staff("ada@staff.example", "administrator"))
    url = f"/console/payments/{reference}/refund/"
    refund = processor().refund
    meanwhile: list[str] = []

    def slow_refund(**kwargs):
        assert not connection.in_atomic_block
        answer = ada.post(
            url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_x"}, follow=True
        )
        meanwhile.append(answer.content.decode())
        return refund(**kwargs)

    monkeypatch.setattr(processor(), "refund", slow_refund)
    bill.post(url, {"confirm": "yes", "decision": "retry"})
    assert "no longer waiting for a refund" in meanwhile[0]
    assert [o for o, _ in outcomes(reference)] == ["queued", "failed", "queued", "refunded"]
    assert outcomes(reference)[-1][1] == "bill@staff.example"


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_an_order_placed_on_a_refunded_payment_is_pointed_out_to_billing(alice, monkeypatch):
    """When the database could not tell the checkout's refund whether an order existed, a
    second submit may have placed one on the charge the refund paid back: billing sees the
    order that is now unpaid."""
    from keepfaith.store.models import Order

    checkout(trial_taken_in_another_tab(alice, monkeypatch))  # refunded at once
    monkeypatch.undo()
    [refunded] = processor().refund_ledger
    client = signed_in(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    checkout(client)
    order = Order.objects.filter(customer=alice).exclude(total_minor=0).get()
    Order.objects.filter(pk=order.pk).update(payment_reference=refunded.charge_reference)
    [settled] = refunds_settled()
    assert settled.order_number == order.number and settled.by_staff == ""
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    page = bill.get(PAGE).content.decode()
    assert '<details id="refunds-settled" open>' in page
    assert "the customer has it unpaid" in page and order.number in page


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.django_db(transaction=True)
def test_a_refund_the_gate_refuses_is_not_sent_and_the_refusal_stays_audited(alice, monkeypatch):
    """Asked outside the console (where the restricted customer's page is closed first): the
    gate refuses sending the refund to the processor, and its refusal is kept in the audit
    log, not rolled back with the attempt."""
    from keepfaith.inforce import in_force
    from keepfaith.store.refunds import RefundCaseError, refund_retry

    reference = failed_refund(alice, monkeypatch)
    signed_in(alice).post("/account/privacy/", {"kind": "restriction", "password": PASSWORD})
    actor = Actor("staff", "bill@staff.example")
    now = in_force()
    with pytest.raises(RefundCaseError, match="may not go to the processor"):
        refund_retry(
            charge_reference=reference, actor=actor, policy=now.policy, gate=now.gate(actor=actor)
        )
    assert not processor().refund_ledger
    assert outcomes(reference)[-1][0] == "failed"
    refusal = AuditEntry.objects.filter(action="gate.check", outcome="refused").last()
    assert refusal is not None and refusal.subject == alice.subject_ref
    assert refusal.detail["context"] == f"refund of payment {reference}"


def entries_for(subject: str, reference: str, *outcomes_: str) -> None:
    """Refund entries of a checkout, as the checkout and billing write them."""
    for outcome in outcomes_:
        audit_append(
            actor=Actor("customer", subject),
            action=REFUND_ACTION,
            outcome=outcome,
            subject=subject,
            detail={"charge_reference": reference, "amount_minor": 1000, "currency": "EUR"},
        )


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_an_email_that_fails_never_undoes_a_refund_made(alice, monkeypatch):
    """The refund is recorded once the processor made it; a mail that cannot be rendered or
    queued is logged, not a 500 that rolls the record back (the case came back as never
    confirmed, though the money was back)."""
    from keepfaith.store import refunds

    reference = failed_refund(alice, monkeypatch)

    def broken_mail(**kwargs):
        raise RuntimeError("a template is broken")

    monkeypatch.setattr(refunds, "send_refund_notice", broken_mail)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    answer = bill.post(
        f"/console/payments/{reference}/refund/", {"confirm": "yes", "decision": "retry"}
    )
    assert answer.status_code == 302
    assert outcomes(reference)[-1] == ("refunded", "bill@staff.example")
    assert refunds_to_check(now=timezone.now() + timedelta(minutes=11)) == []
    [settled] = refunds_settled()
    assert settled.charge_reference == reference


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db
def test_a_charge_refunded_once_stays_settled_whatever_fails_after(alice):
    entries_for(alice.subject_ref, "ch_twice", "queued", "refunded", "queued", "failed")
    assert refunds_to_check() == []
    [settled] = refunds_settled()
    assert settled.charge_reference == "ch_twice"


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_payment_whose_account_is_gone_is_still_refunded_by_hand(db):
    entries_for("KF-GONE0-00000", "ch_gone", "queued", "failed")
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    page = bill.get(PAGE).content.decode()
    assert "ch_gone" in page and "an account that no longer exists" in page
    bill.post(
        "/console/payments/ch_gone/refund/",
        {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_9"},
    )
    assert refunds_to_check() == [] and refunds_settled()[0].refund_reference == "re_9"
    assert not [m for m in mail.outbox if "ch_gone" in m.body]


@pytest.mark.clause("RIGHTS-17")
@pytest.mark.django_db(transaction=True)
def test_an_erased_customers_payment_is_flagged_not_promised_to_the_privacy_officer(
    alice, monkeypatch
):
    """An erasure restricts for good: the page no longer says the refund waits for the
    restriction to be lifted, it says it cannot be sent from here."""
    reference = failed_refund(alice, monkeypatch)
    client = signed_in(alice)
    client.post("/account/privacy/", {"kind": "erasure", "password": PASSWORD})
    client.post("/account/privacy/erase/", {"password": PASSWORD})
    alice.refresh_from_db()
    assert alice.is_active is False
    page = verified_client(make_staff("bill@staff.example", "billing")).get(PAGE)
    text = page.content.decode()
    assert 'id="refunds-erased"' in text and "had their account erased" in text
    assert 'id="refunds-restricted"' not in text and reference not in text


@pytest.mark.clause("QS-3")
@pytest.mark.django_db(transaction=True)
def test_each_answer_is_audited_as_a_read_of_that_customer_refused_ones_too(alice, monkeypatch):
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    url = f"/console/payments/{reference}/refund/"
    bill.post(
        url, {"confirm": "yes", "decision": "by_hand", "refund_reference": ""}
    )  # refused: no reference
    bill.post(url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_7"})
    reads = AuditEntry.objects.filter(action="console.orders.refunds", outcome="read")
    assert [(r.actor, r.subject) for r in reads] == [("bill@staff.example", alice.subject_ref)] * 2
    bill.post(
        url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_8"}
    )  # settled: finds none
    assert reads.count() == 2  # a form that found no customer read nobody's data


@pytest.mark.clause("RIGHTS-17")
@pytest.mark.django_db(transaction=True)
def test_the_erasure_page_tells_a_customer_the_money_we_still_owe_them(alice, carol, monkeypatch):
    """An erasure restricts for good, so a refund not yet made could no longer be sent: the
    customer reads it before they confirm, in their language."""
    failed_refund(alice, monkeypatch)
    client = signed_in(alice)
    page = client.get("/account/privacy/erase/").content.decode()
    assert 'id="refund-owed"' in page and "We owe you EUR" in page
    alice.language = "da"
    alice.save(update_fields=["language"])
    danish = client.get("/da/account/privacy/erase/").content.decode()
    assert "Vi skylder dig" in danish
    other = signed_in(carol).get("/account/privacy/erase/").content.decode()
    assert 'id="refund-owed"' not in other


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_hostile_refund_reference_is_refused_with_a_clear_error_and_nothing_recorded(
    alice, monkeypatch
):
    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    url = f"/console/payments/{reference}/refund/"
    # NUL: the site's 400 page before the view (test_nul); the rest: the form says why
    nul = bill.post(url, {"confirm": "yes", "decision": "by_hand", "refund_reference": "re_1\x00"})
    assert nul.status_code == 400
    for hostile in ("re_\u202e1", "r" * 101, "re\n1"):
        answer = bill.post(
            url, {"confirm": "yes", "decision": "by_hand", "refund_reference": hostile}, follow=True
        )
        text = answer.content.decode()
        assert "letters, digits and punctuation" in text or "reference from the payment" in text
    assert outcomes(reference)[-1][0] == "failed"
    too_long = bill.post(
        f"/console/payments/{'x' * 5000}/refund/", {"confirm": "yes", "decision": "retry"}
    )
    assert too_long.status_code == 302 and not processor().refund_ledger
