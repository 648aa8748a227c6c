"""BE-10: the certificate authority gets nothing before the customer's explicit go-ahead."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.consent.models import ConsentEvent
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.store.models import Order, OrderStatus, OutsideTransfer
from keepfaith.store.outside import outside_transfer_send
from tests.store.conftest import OV_DETAILS, add_to_cart, checkout, go_ahead


def customer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def transfers_command() -> str:
    out, err = StringIO(), StringIO()
    call_command("store", "transfers", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.mark.clause("BE-10")
def test_the_checkout_shows_the_notice_in_the_page_language(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    english = client.get("/checkout/").content.decode()
    assert "certificate authority will collect your name" in english
    radios = re.findall(r'<input type="radio" name="go_ahead"[^>]*>', english)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    danish = client.get("/da/checkout/").content.decode()
    assert "indsamler certifikatudstederen dit navn" in danish


@pytest.mark.clause("BE-10")
def test_no_choice_means_no_order(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    response = checkout(client, **OV_DETAILS)
    assert response.status_code == 400
    assert "Choose whether to go on; nothing is preselected." in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.clause("BE-10")
def test_missing_details_for_the_party_are_refused(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    response = checkout(client, go_ahead="proceed", **{**OV_DETAILS, "organisation": ""})
    assert response.status_code == 400
    assert Order.objects.count() == 0


@pytest.mark.clause("BE-10")
def test_a_waiting_order_sends_nothing_until_the_go_ahead(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    response = checkout(client, go_ahead="wait", **OV_DETAILS)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == OrderStatus.WAITING
    assert order.go_ahead_given is False
    assert OutsideTransfer.objects.count() == 0
    assert "sent 0 transfer(s)" in transfers_command()
    assert response["Location"] == f"/account/orders/{order.number}/thanks/"
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "nothing has been sent to Certificate authority" in page

    # even a transfer row made behind the shop's back is refused by the gate, and audited
    rogue = OutsideTransfer.objects.create(
        order=order,
        party="certificate-authority",
        use="essential.service.certificate_validation",
        categories=["user.contact.organization"],
    )
    with pytest.raises(PolicyViolation, match="needs the subject's go-ahead"):
        outside_transfer_send(
            transfer=rogue,
            actor=Actor.system("test"),
            gate=in_force().gate(actor=Actor.system("test")),
        )
    rogue.refresh_from_db()
    assert rogue.status == "queued"
    assert AuditEntry.objects.filter(
        action="gate.check", outcome="refused", subject=alice.customer_number
    ).exists()
    rogue.delete()

    go_ahead(client, order)
    order.refresh_from_db()
    assert order.go_ahead_given is True and order.status == OrderStatus.ACTIVE
    consent = ConsentEvent.objects.get(key="outside_party:certificate-authority")
    assert consent.event == "given"
    assert consent.subject == alice.customer_number
    assert consent.evidence["order"] == order.number
    assert "sent 1 transfer(s), 0 refused" in transfers_command()
    transfer = OutsideTransfer.objects.get(order=order)
    assert transfer.status == "sent"
    assert AuditEntry.objects.filter(action="store.outside_transfer", outcome="sent").count() == 1
    assert "sent 0 transfer(s)" in transfers_command()


@pytest.mark.feature("collection.organisation-validation")
@pytest.mark.clause("BE-10")
def test_proceeding_at_checkout_queues_one_transfer(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-ucc", option_extra_names="2")
    response = checkout(client, go_ahead="proceed", **OV_DETAILS)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == OrderStatus.ACTIVE
    assert order.validation_details["organisation"] == "Andersen ApS"
    assert OutsideTransfer.objects.filter(order=order, status="queued").count() == 1
    go_ahead(client, order)
    assert OutsideTransfer.objects.count() == 1  # a second go-ahead changes nothing


@pytest.mark.clause("BE-10")
@pytest.mark.clause("RIGHTS-18")
def test_a_restricted_customer_s_go_ahead_sends_nothing_and_the_order_says_why(alice):
    from keepfaith.consent.services import consent_record
    from keepfaith.gate import RESTRICTION_KEY

    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="proceed", **OV_DETAILS)
    order = Order.objects.get()
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="wait", **OV_DETAILS)
    waiting = Order.objects.get(status=OrderStatus.WAITING)
    consent_record(
        subject=alice.customer_number,
        key=RESTRICTION_KEY,
        event="opted-out",
        source="rights:DSR-TEST",
        actor=Actor.system("test"),
        evidence={"right": "restriction"},
    )
    # a waiting order's go-ahead says why it cannot go on, before anything is typed or sent
    shown = client.get(f"/account/orders/{waiting.number}/").content.decode()
    assert "data-restricted" in shown and 'name="organisation"' not in shown
    assert go_ahead(client, waiting, **OV_DETAILS).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.WAITING
    assert not OutsideTransfer.objects.filter(order=waiting).exists()
    # a transfer queued before the restriction is held, and the order says why
    assert "sent 0 transfer(s), 1 refused" in transfers_command()
    assert OutsideTransfer.objects.get(order=order).status == "queued"
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "nothing is sent while the restriction holds" in page
    assert "queued" not in page
    danish = client.get(f"/da/account/orders/{order.number}/").content.decode()
    assert "begrænse" in danish and "queued" not in danish


@pytest.mark.clause("BE-10")
def test_not_now_asks_for_nothing_the_party_needs_until_the_go_ahead(alice):
    from tests.store.conftest import checkout_page

    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    shown = checkout_page(client)
    for field in ("phone", "organisation", "address"):
        shown.pop(field, None)
    from tests.store.conftest import card_fields

    response = client.post("/checkout/", {**shown, **card_fields(), "go_ahead": "wait"})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == OrderStatus.WAITING
    assert not order.validation_details.get("organisation")
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert 'name="organisation"' in page and "What goes to Certificate authority" in page
    # going on without what the party needs is refused, and nothing is sent
    refused = go_ahead(client, order)
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING and OutsideTransfer.objects.count() == 0
    assert go_ahead(client, order, **OV_DETAILS).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    assert order.validation_details["organisation"] == "Andersen ApS"
    assert OutsideTransfer.objects.filter(order=order).count() == 1


@pytest.mark.clause("BE-10")
def test_a_go_ahead_read_before_another_one_finished_changes_nothing(alice):
    """Two clicks: the second request read the order while it still waited, and writes
    after the first went through (found by the hostile-input review: two transfers)."""
    from keepfaith.store.models import Renewal
    from keepfaith.store.outside import outside_party_go_ahead

    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="wait", **OV_DETAILS)
    stale = Order.objects.get()  # read by the second click while the order waits
    assert go_ahead(client, stale).status_code == 302  # the first click, all the way
    due = Renewal.objects.get().due
    now = in_force()
    outside_party_go_ahead(
        order=stale,
        actor=Actor.system("test"),
        policy=now.policy,
        version=now.version,
        details=OV_DETAILS,
    )
    assert OutsideTransfer.objects.count() == 1
    assert ConsentEvent.objects.filter(key="outside_party:certificate-authority").count() == 1
    assert Renewal.objects.get().due == due


@pytest.mark.clause("BE-10")
def test_a_second_click_on_the_order_page_records_nothing(alice, monkeypatch):
    """Through the page: the second request read the order while it waited; it records no
    consent and sends nothing (found by the diff review: a second ledger event)."""
    import keepfaith.portal.shop as shop
    from tests.forms import as_posted

    client = customer_client(alice)
    add_to_cart(client, "qualityssl")
    checkout(client, go_ahead="wait", **OV_DETAILS)
    stale = Order.objects.get()
    page = client.get(f"/account/orders/{stale.number}/")
    data = {**as_posted(page.context["party"], **OV_DETAILS), "go_ahead": "proceed"}
    assert client.post(f"/account/orders/{stale.number}/go-ahead/", data).status_code == 302
    events = ConsentEvent.objects.count()
    monkeypatch.setattr(shop, "order_of", lambda user, number: stale)  # read before the first
    second = {**data, "organisation": "Other ApS"}
    assert client.post(f"/account/orders/{stale.number}/go-ahead/", second).status_code == 302
    assert ConsentEvent.objects.count() == events
    assert OutsideTransfer.objects.count() == 1
    assert Order.objects.get().validation_details["organisation"] == "Andersen ApS"
