"""Restriction and objection from the portal: in force at once, in the consent ledger, and the
gate refuses the uses they cover for that customer (RIGHTS-18, RIGHTS-21, RIGHTS-19)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import OutboxMessage
from keepfaith.comms.services import campaign_create, campaign_queue
from keepfaith.consent.models import ConsentEvent
from keepfaith.gate import RESTRICTION_KEY
from keepfaith.inforce import in_force
from keepfaith.rights.models import RecipientNotice, RightsRequest
from tests.comms.conftest import said_yes_to_opt_out_mail
from tests.conftest import verified_client
from tests.rights.conftest import ask, place_order, signed_in
from tests.store.conftest import add_to_cart

EMAIL = ("user.contact.email",)


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.clause("RIGHTS-19")
@pytest.mark.feature("rights.restriction.gate")
@pytest.mark.feature("rights.recipients.told")
def test_a_restriction_races_a_campaign_and_the_send_skips_the_subject(
    alice: User, carol: User
) -> None:
    actor = Actor.system("test")
    for customer in (alice, carol):
        said_yes_to_opt_out_mail(customer)
    gate = in_force().gate(actor=actor)
    campaign = campaign_create(
        kind="promotions", subject="Deals", text="Hi", actor=actor, gate=gate
    )
    campaign_queue(campaign_id=campaign.pk, actor=actor, gate=gate, language="en")
    assert OutboxMessage.objects.filter(campaign=campaign).count() == 2
    client = place_order(carol)
    ask(client, "restriction")
    assert ConsentEvent.objects.filter(subject=carol.subject_ref, key=RESTRICTION_KEY).exists()
    assert RecipientNotice.objects.filter(recipient="payment-processor", delivered=True).exists()
    deliver_pending()
    carols = OutboxMessage.objects.get(campaign=campaign, recipient=carol.subject_ref)
    alices = OutboxMessage.objects.get(campaign=campaign, recipient=alice.subject_ref)
    assert carols.status == "skipped"
    assert alices.status == "sent"
    fresh = in_force().gate(actor=actor)
    refused = fresh.check(
        use="marketing.communications.email", categories=EMAIL, subject=carol.subject_ref
    )
    assert refused.allowed is False
    assert "restricted the processing" in refused.reason


@pytest.mark.clause("RIGHTS-21")
@pytest.mark.feature("rights.objection.gate")
def test_an_objection_stops_the_use_at_once_and_is_in_the_ledger(alice: User) -> None:
    client = signed_in(alice)
    response = ask(client, "objection", uses=["marketing.communications.email.newsletter"])
    assert response.status_code == 302
    event = ConsentEvent.objects.get(
        subject=alice.subject_ref, key="marketing.communications.email.newsletter"
    )
    assert event.event == "opted-out"
    assert event.evidence["right"] == "objection"
    gate = in_force().gate(actor=Actor.system("test"))
    decision = gate.check(
        use="marketing.communications.email.newsletter", categories=EMAIL, subject=alice.subject_ref
    )
    assert decision.allowed is False


def test_an_objection_needs_a_use(alice: User) -> None:
    response = ask(signed_in(alice), "objection")
    assert response.status_code == 400


@pytest.mark.clause("RIGHTS-19")
@pytest.mark.clause("SITE-5")
def test_the_console_names_the_recipients_told_in_the_staff_language(
    carol: User, pat: User
) -> None:
    ask(place_order(carol), "restriction")
    notice = RecipientNotice.objects.get()
    assert notice.recipient == "payment-processor"  # the row keeps the policy key
    client = verified_client(pat)
    page = client.get(f"/console/rights/{RightsRequest.objects.get().reference}/").content.decode()
    assert "Card payment processor · Restriction · " in page
    assert "payment-processor · " not in page and "· restriction ·" not in page
    client.post("/console/preferences/", {"language": "da"})
    page = client.get(f"/console/rights/{RightsRequest.objects.get().reference}/").content.decode()
    assert "Kortbetalingsudbyder · Begrænsning · " in page


@pytest.mark.clause("RIGHTS-19")
def test_a_correction_is_told_only_to_recipients_that_received_the_detail(
    carol: User, pat: User
) -> None:
    """The card processor received the card, never a name or a phone number: a corrected
    name or phone number is not its business; the certificate authority received both."""
    from keepfaith.store.models import Order, OutsideTransfer

    place_order(carol)
    client = verified_client(pat)

    def correct(details: str, field: str, value: str) -> set[str]:
        ask(signed_in(carol), "rectification", details=details)
        req = RightsRequest.objects.filter(state="open").get()
        client.post(f"/console/rights/{req.reference}/complete/", {f"correct-{field}": value})
        req.refresh_from_db()
        assert req.state == "done"
        return set(RecipientNotice.objects.filter(request=req).values_list("recipient", flat=True))

    assert correct("My phone number is wrong", "phone", "+45 12 34 56 78") == set()
    OutsideTransfer.objects.create(
        order=Order.objects.get(customer=carol), party="certificate-authority",
        use="essential.service.certificate_validation", status="sent",
        categories=["user.name", "user.contact.phone_number"],
    )  # fmt: skip
    assert correct("My name is spelt wrong", "full_name", "Carol Berg") == {"certificate-authority"}


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.feature("rights.restriction.gate")
def test_a_restricted_customer_is_told_why_a_checkout_or_ticket_cannot_go_ahead(
    carol: User,
) -> None:
    """Both forms used to take the card or the text and then fail with a 500."""
    client = place_order(carol)
    ask(client, "restriction")
    add_to_cart(client, "qualityssl-mobile", term="12")
    for path in ("/checkout/", "/support/ticket/", "/da/checkout/"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert 'id="restricted-refusal"' in page.content.decode()
    refused = client.post("/checkout/", {"card_number": "4242 4242 4242 4242"})
    assert refused.status_code == 403
    assert "/account/privacy/#restriction" in refused.content.decode()
    assert client.post("/support/ticket/", {"summary": "Help"}).status_code == 403


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.feature("rights.restriction.gate")
def test_the_customer_ends_their_own_restriction_and_the_ledger_and_pages_say_so(
    carol: User,
) -> None:
    client = place_order(carol)
    ask(client, "restriction")
    page = client.get("/account/privacy/").content.decode()
    assert 'id="restriction"' in page and "End the restriction" in page
    consent = client.get("/account/consent/").content.decode()
    assert "In force" in consent and "Declined" not in consent  # asked for, not declined
    response = client.post("/account/privacy/restriction/end/")
    assert response.status_code == 302
    last = ConsentEvent.objects.filter(subject=carol.subject_ref, key=RESTRICTION_KEY).latest("seq")
    assert last.event == "withdrawn" and last.actor_kind == "customer"
    assert 'id="restriction"' not in client.get("/account/privacy/").content.decode()
    assert checkout_page_opens(client)
    steps = [s.action for s in RightsRequest.objects.get().steps.all()]
    assert steps[-1] == "lifted"
    again = client.post("/account/privacy/restriction/end/", follow=True).content.decode()
    assert "No restriction that can be lifted holds" in again


def checkout_page_opens(client: Client) -> bool:
    add_to_cart(client, "qualityssl-mobile", term="12")
    return bool(client.get("/checkout/").status_code == 200)


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.feature("rights.restriction.gate")
def test_the_privacy_officer_lifts_a_restriction_with_a_reason_the_customer_is_told(
    carol: User, pat: User, bob: User
) -> None:
    ask(place_order(carol), "restriction")
    req = RightsRequest.objects.get()
    staff = verified_client(pat)
    page = staff.get(f"/console/rights/{req.reference}/").content.decode()
    assert 'id="lift-form"' in page
    refused = staff.post(f"/console/rights/{req.reference}/lift/", {"reason": " "})
    assert refused.status_code == 400  # the reason goes to the customer: it is required
    assert "Give the reason for lifting it" in refused.content.decode()
    staff.post(f"/console/rights/{req.reference}/lift/", {"reason": "The dispute is settled."})
    last = ConsentEvent.objects.filter(subject=carol.subject_ref, key=RESTRICTION_KEY).latest("seq")
    assert last.event == "withdrawn" and last.actor_kind == "staff"
    deliver_pending()
    told = [m for m in mail.outbox if "is lifted" in m.subject]
    assert len(told) == 1 and told[0].to == [carol.email]
    assert "The dispute is settled." in told[0].body
    authority = in_force().policy.rights.supervisory_authority  # type: ignore[union-attr]
    assert f"{authority.name}: {authority.url}" in told[0].body
    assert 'id="lift-form"' not in staff.get(f"/console/rights/{req.reference}/").content.decode()
    # the console's consent history says what happened, not "opted out"
    history = staff.get(f"/console/customers/{carol.customer_number}/").content.decode()
    assert "restriction lifted" in history and "restriction started" in history
    assert verified_client(bob).post(f"/console/rights/{req.reference}/lift/").status_code == 403


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.feature("rights.restriction.gate")
def test_a_restricted_customer_is_not_counted_in_a_campaigns_audience(
    alice: User, carol: User
) -> None:
    """The send page said "goes to 2 customers" and then skipped her as having declined."""
    from keepfaith.comms.selectors import audience_for

    for customer in (alice, carol):
        said_yes_to_opt_out_mail(customer)
    ask(place_order(carol), "restriction")
    gate = in_force().gate(actor=Actor.system("test"))
    audience = list(audience_for(kind="promotions", gate=gate))
    assert audience == [alice]
    campaign = campaign_create(kind="promotions", subject="Deals", text="Hi",
                               actor=Actor.system("test"), gate=gate)  # fmt: skip
    campaign_queue(campaign_id=campaign.pk, actor=Actor.system("test"), gate=gate, language="en")
    assert OutboxMessage.objects.filter(campaign=campaign).count() == 1


@pytest.mark.clause("RIGHTS-18")
def test_a_lift_from_another_requests_page_ends_nothing(carol: User, pat: User) -> None:
    """Posted from an older or another request's page, the lift ended whichever restriction
    held, on that other request's timeline."""
    client = place_order(carol)
    ask(client, "access")
    ask(client, "restriction")
    access = RightsRequest.objects.get(kind="access")
    refused = verified_client(pat).post(
        f"/console/rights/{access.reference}/lift/", {"reason": "Settled."}
    )
    assert refused.status_code == 400
    last = ConsentEvent.objects.filter(subject=carol.subject_ref, key=RESTRICTION_KEY).latest("seq")
    assert last.event == "opted-out"  # still in force


@pytest.mark.clause("RIGHTS-18")
def test_the_preferences_page_says_a_restriction_holds(carol: User) -> None:
    """She could turn the newsletter on while restricted, and nothing said it would not come."""
    client = place_order(carol)
    assert 'id="preferences-restricted"' not in client.get("/account/preferences/").content.decode()
    ask(client, "restriction")
    page = client.get("/da/account/preferences/").content.decode()
    assert 'id="preferences-restricted"' in page and "/da/account/privacy/#restriction" in page
