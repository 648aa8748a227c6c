"""A campaign over real SMTP, one-click unsubscribe from the received header, the next
campaign, and a service announcement (BE-8, QS-4, BE-9)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import OutboxMessage
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from tests.campaigns import create_campaign, queue_campaign
from tests.comms.conftest import UNSUBSCRIBE_ADDRESS, SmtpSink, make_customer

MIA = Actor(ActorKind.STAFF, "mia@staff.example")
PAT = Actor(ActorKind.STAFF, "pat@staff.example")
NEWSLETTER_USE = "marketing.communications.email.newsletter"


def send(kind: str, subject: str, actor: Actor = MIA) -> int:
    campaign = create_campaign(kind=kind, subject=subject, text=f"{subject} body", actor=actor)
    queue_campaign(campaign_id=campaign.pk, actor=actor)
    return deliver_pending()


@pytest.fixture
def mixed(published: Any) -> dict[str, str]:
    """Four customers: two who never chose, one who opted out, one who withdrew."""
    emails = ["keen@example.com", "quiet@example.com", "out@example.com", "gone@example.com"]
    numbers = {e: make_customer(e).customer_number or "" for e in emails}
    consent_record(
        policy=in_force().policy,
        subject=numbers["out@example.com"],
        key=NEWSLETTER_USE,
        event="opted-out",
        source="portal",
    )
    consent_record(
        policy=in_force().policy,
        subject=numbers["gone@example.com"],
        key=NEWSLETTER_USE,
        event="withdrawn",
        source="portal",
    )
    return numbers


def one_click_path(header: str) -> str:
    https = re.search(r"<(https://[^>]+)>", header)
    assert https is not None
    return urlsplit(https.group(1)).path


@pytest.mark.clause("BE-8")
@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
def test_campaign_unsubscribe_and_announcement(mixed: dict[str, str], smtp_sink: SmtpSink) -> None:
    assert send("newsletter", "Spring news") == 2  # the audience leaves out the two who declined
    assert {r.rcpt_tos[0] for r in smtp_sink.received} == {"keen@example.com", "quiet@example.com"}
    assert smtp_sink.to("out@example.com") == [] and smtp_sink.to("gone@example.com") == []

    received = smtp_sink.to("keen@example.com")[0].message
    header = str(received["List-Unsubscribe"])
    assert f"<mailto:{UNSUBSCRIBE_ADDRESS}?subject=unsubscribe>" in header
    assert str(received["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    # From the company, by its trading name; a reply "stop" reaches the opt-out inbox.
    assert str(received["From"]).startswith("QualitySSL <")
    assert str(received["Reply-To"]) == UNSUBSCRIBE_ADDRESS
    response = Client().post(
        one_click_path(header),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.cookies == {} and not response.has_header("Location")
    event = ConsentEvent.objects.filter(
        subject=mixed["keen@example.com"], key=NEWSLETTER_USE
    ).latest("seq")
    assert (event.event, event.source) == ("opted-out", "one-click")

    before = len(smtp_sink.received)
    send("newsletter", "Summer news")
    summer = [r.rcpt_tos[0] for r in smtp_sink.received[before:]]
    assert summer == ["quiet@example.com"]

    before = len(smtp_sink.received)
    send("service_announcements", "Security notice", actor=PAT)
    notice = smtp_sink.received[before:]
    assert sorted(r.rcpt_tos[0] for r in notice) == sorted(mixed)
    for item in notice:
        assert item.message["List-Unsubscribe"] is None
        assert item.message["List-Unsubscribe-Post"] is None
        assert str(item.message["From"]).startswith("QualitySSL <")
        body = item.message.get_body(("plain",))
        assert body is not None
        assert "cannot be unsubscribed" in body.get_content()


@pytest.mark.clause("BE-8")
def test_opt_out_after_queueing_stops_the_unsent_message(
    mixed: dict[str, str], smtp_sink: SmtpSink
) -> None:
    campaign = create_campaign(kind="newsletter", subject="Queued", text="x", actor=MIA)
    queue_campaign(campaign_id=campaign.pk, actor=MIA)
    consent_record(
        policy=in_force().policy,
        subject=mixed["quiet@example.com"],
        key=NEWSLETTER_USE,
        event="opted-out",
        source="one-click",
    )
    deliver_pending()
    assert [r.rcpt_tos[0] for r in smtp_sink.received] == ["keen@example.com"]
    skipped = OutboxMessage.objects.get(recipient=mixed["quiet@example.com"])
    assert skipped.status == "skipped"
    assert "declined" in skipped.last_error


def test_queueing_twice_adds_no_rows(mixed: dict[str, str]) -> None:
    campaign = create_campaign(kind="promotions", subject="Deals", text="x", actor=MIA)
    queue_campaign(campaign_id=campaign.pk, actor=MIA)
    queue_campaign(campaign_id=campaign.pk, actor=MIA)
    assert OutboxMessage.objects.filter(campaign=campaign).count() == 4
