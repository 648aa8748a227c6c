"""A checkout never keeps a customer's money without an order, and never refunds the money of
an order it placed: the charge is refunded exactly when no order of the checkout was written."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import OperationalError, connection
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.inforce import in_force
from keepfaith.store import services
from keepfaith.store.models import Order
from keepfaith.store.refunds import REFUND_ACTION
from keepfaith.vault.gateway import payment_processor
from tests.store.conftest import add_to_cart, card_fields, checkout, checkout_page, processor_ledger


def signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def processor():
    return payment_processor(policy=in_force().policy)


def refund_outcomes() -> list[str]:
    entries = AuditEntry.objects.filter(action=REFUND_ACTION).order_by("seq")
    return list(entries.values_list("outcome", flat=True))


def trial_taken_in_another_tab(customer, monkeypatch) -> Client:
    """A tab whose cart holds a trial and a paid certificate, while another tab checks out the
    trial alone during this tab's charge: the paying tab's client."""
    paying, other_tab = signed_in(customer), signed_in(customer)
    add_to_cart(paying, "qualityssl-trial", term="1")
    add_to_cart(paying, "qualityssl-mobile", term="12")
    add_to_cart(other_tab, "qualityssl-trial", term="1")
    charge = processor().charge

    def charge_while_the_other_tab_checks_out(**kwargs):
        assert checkout(other_tab, card_number="", security_code="").status_code == 302
        return charge(**kwargs)

    monkeypatch.setattr(processor(), "charge", charge_while_the_other_tab_checks_out)
    return paying


def first_order_write_fails(customer, monkeypatch) -> tuple[Client, dict[str, str]]:
    """A cart with a paid certificate whose first order write fails (the database is locked)
    and the next one succeeds: the client and the checkout a double click posts twice."""
    client = signed_in(customer)
    add_to_cart(client, "qualityssl-mobile", term="12")
    data = {**checkout_page(client), **card_fields()}
    write = services._order_write
    failed: list[int] = []

    def locked_once(*args, **kwargs):
        if not failed:
            failed.append(1)
            raise OperationalError("database is locked")
        return write(*args, **kwargs)

    monkeypatch.setattr(services, "_order_write", locked_once)
    return client, data


@pytest.mark.clause("SITE-2")
def test_a_trial_taken_in_another_tab_during_a_paid_checkout_refunds_the_payment(
    alice, monkeypatch
):
    """Two tabs: one checks out a trial and a paid certificate, the other the trial alone and
    finishes while the first one's card is being charged. The first finds the trial taken only
    under the lock, after the charge: it places no order and pays the money back."""
    refused = checkout(trial_taken_in_another_tab(alice, monkeypatch))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "ou have had the free trial already" in page and "the payment was refunded" in page
    [trial] = Order.objects.all()
    assert trial.total_minor == 0
    [charged] = processor_ledger()
    [refund] = processor().refund_ledger
    assert (refund.charge_reference, refund.amount_minor) == (
        charged.reference,
        charged.amount_minor,
    )
    assert refund_outcomes() == ["queued", "refunded"]
    entry = AuditEntry.objects.get(action=REFUND_ACTION, outcome="refunded")
    assert entry.detail["charge_reference"] == charged.reference
    assert entry.detail["refund_reference"] == refund.reference


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_hook_failing_after_the_commit_leaves_the_order_its_payment(alice, monkeypatch):
    """The receipt's delivery is kicked after the commit (a task queue that is down raises
    there): the order is placed, so its charge stays."""
    import keepfaith.comms.services as comms

    def broker_down():
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(comms, "delivery_kick", broker_down)
    client = signed_in(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    with pytest.raises(ConnectionError):
        checkout(client)
    [order] = Order.objects.all()
    [charged] = processor_ledger()
    assert order.payment_reference == charged.reference
    assert processor().refund_ledger == [] and refund_outcomes() == []


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_whose_first_request_fails_places_no_order_on_the_refunded_charge(
    alice, monkeypatch
):
    """A double click: both posts carry one checkout (one idempotency key, one charge). The
    first fails in its transaction and refunds; the second, arriving while the refund is on
    its way, finds the refund begun and places no order on the money paid back."""
    client, data = first_order_write_fails(alice, monkeypatch)
    refund = processor().refund
    second: list[str] = []

    def refund_after_the_second_submit(**kwargs):
        response = client.post("/checkout/", data)
        second.append(f"{response.status_code} {response.content.decode()}")
        return refund(**kwargs)

    monkeypatch.setattr(processor(), "refund", refund_after_the_second_submit)
    with pytest.raises(OperationalError):
        client.post("/checkout/", data)
    assert not Order.objects.exists()
    [(status, page)] = [answer.split(" ", 1) for answer in second]
    assert status == "400" and "the payment is being refunded" in page
    [charged] = processor_ledger()
    [refunded] = processor().refund_ledger
    assert refunded.charge_reference == charged.reference
    assert refund_outcomes() == ["queued", "refunded"]


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_refund_the_processor_refuses_is_audited_for_billing_staff(alice, monkeypatch):
    paying = trial_taken_in_another_tab(alice, monkeypatch)

    def processor_down(**kwargs):
        raise TimeoutError("the processor did not answer")

    monkeypatch.setattr(processor(), "refund", processor_down)
    refused = checkout(paying)
    assert refused.status_code == 400
    assert "our billing staff will refund it" in refused.content.decode()
    assert refund_outcomes() == ["queued", "failed"]
    failed = AuditEntry.objects.get(action=REFUND_ACTION, outcome="failed")
    assert failed.detail["reason"] == "the processor did not answer"
    assert failed.detail["charge_reference"] == processor_ledger()[0].reference


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_busy_database_after_the_charge_still_pays_the_money_back(alice, monkeypatch, caplog):
    """Another writer holds the database when the order is written (a long job, a backup):
    the order fails, and so would the checks before a refund; the money goes back all the
    same, and the log names the charge."""
    if connection.vendor != "sqlite":
        pytest.skip("the writer's lock is SQLite's")
    client = signed_in(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    charge = processor().charge
    writer: list[sqlite3.Connection] = []

    def charge_then_another_writer_starts(**kwargs):
        answer = charge(**kwargs)
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        writer.append(other)
        connection.connection.execute("PRAGMA busy_timeout=200")
        return answer

    monkeypatch.setattr(processor(), "charge", charge_then_another_writer_starts)
    try:
        with pytest.raises(OperationalError):
            checkout(client)
    finally:
        writer[0].rollback()
        writer[0].close()
    assert not Order.objects.exists()
    [charged] = processor_ledger()
    [refunded] = processor().refund_ledger
    assert refunded.charge_reference == charged.reference
    assert charged.reference in caplog.text


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_twin_submit_says_the_refund_is_under_way_not_done(alice, monkeypatch):
    client, data = first_order_write_fails(alice, monkeypatch)
    twin: list[str] = []

    def processor_down(**kwargs):
        twin.append(client.post("/checkout/", data).content.decode())
        raise TimeoutError("the processor did not answer")

    monkeypatch.setattr(processor(), "refund", processor_down)
    with pytest.raises(OperationalError):
        client.post("/checkout/", data)
    assert "the payment is being refunded" in twin[0]
    assert "the payment was refunded" not in twin[0]
    assert refund_outcomes() == ["queued", "failed"]


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_the_audit_log_shows_which_charge_a_refund_was_for(alice, monkeypatch):
    from tests.conftest import make_staff, verified_client

    checkout(trial_taken_in_another_tab(alice, monkeypatch))
    [charged] = processor_ledger()
    [refund] = processor().refund_ledger
    ada = verified_client(make_staff("ada@staff.example", "administrator"))
    page = ada.get("/console/audit/", {"action": REFUND_ACTION}).content.decode()
    assert f"payment reference: {charged.reference}" in page
    assert f"refund reference: {refund.reference}" in page
