"""Restriction and objection from the portal: in force at once, in the consent ledger, and the
gate refuses the uses they cover for that customer (RIGHTS-18, RIGHTS-21, RIGHTS-19)."""

from __future__ import annotations

import pytest

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
    """The card processor received a name and a card, never a phone number: a corrected
    phone number is not its business; a corrected name is."""
    place_order(carol)
    ask(signed_in(carol), "rectification", details="My phone number is wrong")
    req = RightsRequest.objects.get()
    client = verified_client(pat)
    client.post(f"/console/rights/{req.reference}/complete/", {"correct-phone": "+45 12 34 56 78"})
    req.refresh_from_db()
    assert req.state == "done"
    assert not RecipientNotice.objects.filter(request=req).exists()
    ask(signed_in(carol), "rectification", details="My name is spelt wrong")
    second = RightsRequest.objects.exclude(pk=req.pk).get()
    client.post(
        f"/console/rights/{second.reference}/complete/", {"correct-full_name": "Carol Berg"}
    )
    assert RecipientNotice.objects.filter(request=second, recipient="payment-processor").exists()
