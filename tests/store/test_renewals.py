"""Renewals: offered inside the policy's window, quoted, confirmed, charged once, the paid-until
date moved, a receipt sent, billing staff see it; automatic renewal only after opting in, and
only after a reminder (SITE-2, QS-5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_record
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.store.models import Order, Renewal, RenewalCharge
from keepfaith.store.pricing import money
from keepfaith.store.renewals import add_months, renewal_charge, renewals_run
from keepfaith.store.selectors import line_place
from tests.conftest import make_staff, verified_client
from tests.store.conftest import OV_DETAILS, add_to_cart, checkout, processor_ledger

AUTOMATIC = "essential.service.payment_processing.automatic_renewal"


def bought(customer, product: str = "qualityssl-mobile", term: str = "12", **fields) -> Renewal:
    client = Client()
    client.force_login(customer)
    add_to_cart(client, product, term=term)
    checkout(client, **fields)
    return Renewal.objects.get(line__order__customer=customer, line__product_id=product)


def due_in(renewal: Renewal, days: int) -> Renewal:
    Renewal.objects.filter(pk=renewal.pk).update(due=timezone.localdate() + dt.timedelta(days=days))
    renewal.refresh_from_db()
    return renewal


def signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer)
    return client


def url(renewal: Renewal) -> str:
    return f"/account/orders/{renewal.line.order.number}/renew/{line_place(renewal.line)}/"


@pytest.mark.feature("renewals.window")
@pytest.mark.clause("SITE-2")
def test_a_renewal_is_not_offered_a_year_early(alice):
    renewal = bought(alice, term="24")  # paid for two years
    client = signed_in(alice)
    page = client.get(f"/account/orders/{renewal.line.order.number}/").content.decode()
    assert "Renew…" not in page and "Renewal opens on" in page
    answer = client.post(url(renewal), {"confirm": "yes", "period_start": f"{renewal.due}"})
    assert answer.status_code == 400
    assert "enewal opens on" in answer.content.decode()
    assert len(processor_ledger()) == 1  # only the order itself


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_renewal_shows_the_charge_asks_for_confirmation_and_charges_once(
    alice, carol, django_capture_on_commit_callbacks
):
    renewal = due_in(bought(alice), 20)
    order = renewal.line.order
    client = signed_in(alice)
    assert "Renew…" in client.get(f"/account/orders/{order.number}/").content.decode()
    quote = client.get(url(renewal))
    html = quote.content.decode()
    vat = quote.context["quote"].vat_minor
    assert quote.context["quote"].total_minor == renewal.price_minor + vat
    for shown in ("Price (excl. VAT)", "VAT 25 %", "Total to pay", "Visa •••• 4242"):
        assert shown in html
    assert client.post(url(renewal), {"period_start": f"{renewal.due}"}).status_code == 400
    assert len(processor_ledger()) == 1  # no confirmation, no charge
    period = {"confirm": "yes", "period_start": f"{renewal.due}"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url(renewal), period)
    second = client.post(url(renewal), period)  # a double submit of the same confirmation
    assert first.status_code == 302 and second.status_code == 302
    charges = processor_ledger()
    assert len(charges) == 2 and charges[1].amount_minor == renewal.price_minor + vat
    charge = RenewalCharge.objects.get()
    assert charge.period_start == renewal.due
    assert charge.period_end == add_months(renewal.due, 12)
    renewal.refresh_from_db()
    assert renewal.due == charge.period_end  # the paid-until date moved
    receipt = mail.outbox[-1]
    assert "renewal" in receipt.subject.lower() and "Visa •••• 4242" in receipt.body
    assert AuditEntry.objects.filter(action="store.renewal_charge", outcome="paid").count() == 1
    assert AuditEntry.objects.get(action="vault.disclose").outcome == "disclosed"
    # the charge has its own invoice (a business needs one per charge), linked from the
    # order page and the receipt; the order's invoice stays the order's
    invoice_url = f"/account/orders/{order.number}/renewals/{charge.pk}/invoice/"
    assert invoice_url in receipt.body
    assert invoice_url in client.get(f"/account/orders/{order.number}/").content.decode()
    invoice = client.get(invoice_url)
    page = invoice.content.decode()
    assert invoice.status_code == 200 and f"{order.number}-R1" in page
    assert invoice.context["amounts"]["total"] == money(charge.total_minor, charge.currency)
    assert "Renewal of" in page and "VAT 25 %" in page
    assert signed_in(carol).get(invoice_url).status_code == 404  # another customer's


@pytest.mark.clause("SITE-2")
def test_a_stale_confirmation_never_pays_the_next_period(alice):
    renewal = due_in(bought(alice), 10)
    shown = f"{renewal.due}"
    client = signed_in(alice)
    client.post(url(renewal), {"confirm": "yes", "period_start": shown})
    renewal.refresh_from_db()
    Renewal.objects.filter(pk=renewal.pk).update(due=timezone.localdate() + dt.timedelta(days=5))
    client.post(url(renewal), {"confirm": "yes", "period_start": "2020-01-01"})  # an old page
    assert len(processor_ledger()) == 2
    assert RenewalCharge.objects.count() == 1


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("BE-10")
def test_an_order_waiting_for_the_go_ahead_is_not_renewable(alice):
    renewal = bought(alice, "qualityssl", go_ahead="wait", **OV_DETAILS)
    assert renewal.line.order.status == "waiting"
    due_in(renewal, 5)
    answer = signed_in(alice).post(url(renewal), {"confirm": "yes", "period_start": "x"})
    assert answer.status_code == 400
    assert RenewalCharge.objects.count() == 0


@pytest.mark.clause("SITE-2")
def test_billing_staff_see_the_renewal_charge(alice):
    renewal = due_in(bought(alice), 3)
    signed_in(alice).post(url(renewal), {"confirm": "yes", "period_start": f"{renewal.due}"})
    bill = make_staff("bill@staff.example", "billing")
    listed = verified_client(bill).get("/console/orders/").content.decode()
    assert "1 renewal charge" in listed
    order = renewal.line.order
    page = verified_client(bill).get(f"/console/orders/{order.number}/").content.decode()
    assert "renewal of " in page and "confirmed by the customer" in page


def test_someone_elses_renewal_is_not_found(alice, carol):
    renewal = due_in(bought(alice), 3)
    other = signed_in(carol)
    assert other.get(url(renewal)).status_code == 404
    assert (
        other.post(url(renewal), {"confirm": "yes", "period_start": f"{renewal.due}"}).status_code
        == 404
    )
    assert other.post(url(renewal) + "automatic/", {"automatic": "on"}).status_code == 404
    renewal.refresh_from_db()
    assert RenewalCharge.objects.count() == 0 and renewal.automatic is False


@pytest.mark.feature("renewals.automatic")
@pytest.mark.feature("choices.order-pages")
@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_automatic_renewal_needs_the_opt_in_and_a_reminder_before_each_charge(
    alice, django_capture_on_commit_callbacks
):
    renewal = due_in(bought(alice), 30)
    now = in_force()
    gate = now.gate(actor=Actor.system("test"))
    assert renewals_run(gate=gate, policy=now.policy).charged == 0  # not turned on
    with pytest.raises(PolicyViolation, match="opt-in"):  # the gate wants the customer's yes
        renewal_charge(
            renewal=renewal,
            period_start=renewal.due,
            actor=Actor.system("test"),
            gate=gate,
            policy=now.policy,
            automatic=True,
        )
    # the statement says where this choice is made: on the order's page, as done here
    statement = signed_in(alice).get("/privacy/").content.decode()
    assert "Automatic renewal: only with your consent. You can change your mind on the page " in (
        statement
    )
    signed_in(alice).post(url(renewal) + "automatic/", {"automatic": "on"})
    gate = now.gate(actor=Actor.system("test"))  # a gate reads the ledger once: a new one
    renewal.refresh_from_db()
    assert renewal.automatic is True
    assert current_choices(subject=alice.customer_number)[AUTOMATIC].status == "given"
    # the consent page says which order renews on its own; the ledger names no row number
    choices = signed_in(alice).get("/account/consent/").content.decode()
    assert f"Automatic renewal (order {renewal.line.order.number})" in choices
    from keepfaith.consent.models import ConsentEvent

    given = ConsentEvent.objects.filter(key=AUTOMATIC).latest("seq")
    assert given.evidence == {"order": renewal.line.order.number, "line": 1}
    day = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        far = renewals_run(gate=gate, policy=now.policy, today=day)
    assert (far.reminded, far.charged) == (0, 0)  # due in 30 days: no reminder yet
    reminder_day = renewal.due - dt.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        near = renewals_run(gate=gate, policy=now.policy, today=reminder_day)
    assert (near.reminded, near.charged) == (1, 0)
    assert "renews on" in mail.outbox[-1].subject
    again = renewals_run(gate=gate, policy=now.policy, today=reminder_day)
    assert again.reminded == 0  # one reminder per charge
    paid = renewals_run(gate=gate, policy=now.policy, today=renewal.due)
    assert paid.charged == 1
    charge = RenewalCharge.objects.get()
    assert charge.trigger == "automatic"
    renewal.refresh_from_db()
    assert renewal.due == charge.period_end
    # the next period needs its own reminder, on an earlier day than its charge
    late = renewals_run(gate=gate, policy=now.policy, today=renewal.due)
    assert (late.reminded, late.charged) == (1, 0)
    assert renewals_run(gate=gate, policy=now.policy, today=renewal.due).charged == 1


@pytest.mark.clause("SITE-2")
def test_turning_automatic_renewal_off_or_withdrawing_stops_the_charge(alice):
    renewal = due_in(bought(alice), 10)
    client = signed_in(alice)
    client.post(url(renewal) + "automatic/", {"automatic": "on"})
    now = in_force()
    gate = now.gate(actor=Actor.system("test"))
    renewals_run(gate=gate, policy=now.policy)  # the reminder
    consent_record(  # withdrawn elsewhere (e.g. by e-mail) while the switch still reads on
        subject=alice.customer_number, key=AUTOMATIC, event="withdrawn", source="email"
    )
    gate = now.gate(actor=Actor.system("test"))
    done = renewals_run(gate=gate, policy=now.policy, today=renewal.due)
    assert (done.charged, done.refused) == (0, 1)
    client.post(url(renewal) + "automatic/", {"automatic": "off"})
    renewal.refresh_from_db()
    assert renewal.automatic is False
    assert RenewalCharge.objects.count() == 0
    assert len(processor_ledger()) == 1


def test_an_order_with_two_years_keeps_its_term(alice):
    renewal = bought(alice, term="24")
    order = Order.objects.get()
    assert renewal.term_months == 24
    assert renewal.due == timezone.localdate(order.created) + dt.timedelta(days=round(30.44 * 24))


def test_a_renewal_counts_from_the_order_s_day_when_midnight_passes_during_checkout(
    alice, monkeypatch
):
    """The order row is written, then its lines: a clock read for the lines after midnight
    must not move the renewal a day past the order's date (it once read the clock again)."""
    import keepfaith.store.services as services

    real_now = timezone.now

    class NextDay:
        @staticmethod
        def now():
            return real_now() + dt.timedelta(days=1)

        localdate = staticmethod(timezone.localdate)

    monkeypatch.setattr(services, "timezone", NextDay)
    renewal = bought(alice, term="24")
    order = Order.objects.get()
    assert renewal.due == timezone.localdate(order.created) + dt.timedelta(days=round(30.44 * 24))


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("BE-10")
def test_the_paid_period_of_a_waiting_order_starts_with_the_go_ahead(alice):
    from tests.store.conftest import go_ahead

    renewal = bought(alice, "qualityssl", go_ahead="wait", **OV_DETAILS)
    order = renewal.line.order
    waiting = signed_in(alice).get(f"/account/orders/{order.number}/").content.decode()
    assert "starts on the day you give the go-ahead" in waiting
    assert "data-automatic" not in waiting  # nothing renews before the order runs
    assert "is paid until" not in waiting
    listed = signed_in(alice).get("/account/orders/").content.decode()
    assert "counted from your go-ahead" in listed
    bill = make_staff("bill@staff.example", "billing")
    console = verified_client(bill).get(f"/console/orders/{order.number}/").content.decode()
    assert "counted from the customer's go-ahead" in console
    # the customer gives the go-ahead some ten days after paying (counted in local days: a
    # clock change between the two may make 240 hours nine or eleven of them)
    paid = order.created - dt.timedelta(days=10)
    Order.objects.filter(pk=order.pk).update(created=paid)
    waited = timezone.localdate() - timezone.localdate(paid)
    before = renewal.due - waited
    Renewal.objects.filter(pk=renewal.pk).update(due=before)
    assert go_ahead(signed_in(alice), order).status_code == 302
    renewal.refresh_from_db()
    assert renewal.due == before + waited
    assert renewal.line.order.status == "active"


@pytest.mark.clause("SITE-2")
def test_a_free_trial_says_when_it_ends_and_how_to_keep_the_certificate(alice):
    renewal = bought(alice, "qualityssl-trial", term="1", card_number="", security_code="")
    order = renewal.line.order
    client = signed_in(alice)
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "Free trial" in page and "Your free trial (QualitySSL Trial" in page
    assert 'href="/shop/qualityssl/">order QualitySSL</a>' in page
    assert "paid until" not in page and "no card on file" not in page
    assert "are paid for" not in page and "is paid for" not in page
    danish = client.get(f"/da/account/orders/{order.number}/").content.decode()
    assert "prøveperiode" in danish.lower()
    assert "free trial until" in client.get("/account/orders/").content.decode()
    bill = make_staff("bill@staff.example", "billing")
    console = verified_client(bill).get(f"/console/orders/{order.number}/").content.decode()
    assert '<td class="num">30 days</td>' in console
    assert "1 month</td>" not in console
    assert "free trial until" in console and "when the customer confirms" not in console
    listed = verified_client(bill).get("/console/orders/").content.decode()
    assert "free trial until" in listed
    # a trial is not renewed: its renewal address leads back to the order, which says how
    # to keep the certificate, and turning automatic renewal on changes nothing
    assert client.get(url(renewal))["Location"] == f"/account/orders/{order.number}/"
    client.post(url(renewal) + "automatic/", {"automatic": "on"})
    renewal.refresh_from_db()
    assert renewal.automatic is False


def test_a_free_trial_is_one_per_cart_line(alice):
    from keepfaith.store.models import OrderLine

    page = signed_in(alice).get("/shop/qualityssl-trial/").content.decode()
    assert 'name="quantity" value="1"' in page and 'type="number" name="quantity"' not in page
    client = signed_in(alice)
    refused = add_to_cart(client, "qualityssl-trial", term="1", quantity="5")
    assert refused.status_code == 400
    assert "he quantity can be at most 1" in refused.content.decode()
    assert client.get("/cart/").context["lines"] == []
    assert not OrderLine.objects.exists()


@pytest.mark.clause("SITE-2")
def test_a_renewal_address_names_the_line_in_its_order_not_a_row_number(alice, carol):
    bought(alice)
    renewal = due_in(bought(carol), 3)
    assert renewal.pk > 1  # a row number would tell carol that another order exists
    page = signed_in(carol).get(f"/account/orders/{renewal.line.order.number}/").content.decode()
    assert f"/account/orders/{renewal.line.order.number}/renew/1/" in page
    assert f"/renew/{renewal.pk}/" not in page
    assert signed_in(carol).get(url(renewal)).status_code == 200
    missing = f"/account/orders/{renewal.line.order.number}/renew/2/"
    assert signed_in(carol).get(missing).status_code == 404


def test_a_free_trial_is_once_per_customer(alice):
    client = signed_in(alice)
    add_to_cart(client, "qualityssl-trial", term="1")
    again = add_to_cart(client, "qualityssl-trial", term="1")
    assert (
        again.status_code == 400 and "free trial is in your cart already" in again.content.decode()
    )
    assert checkout(client, card_number="", security_code="").status_code == 302
    first = Order.objects.get()
    add_to_cart(client, "qualityssl-trial", term="1")
    refused = checkout(client, card_number="", security_code="")
    assert refused.status_code == 400
    assert f"ou have had the free trial already (order {first.number})" in refused.content.decode()
    assert Order.objects.count() == 1
