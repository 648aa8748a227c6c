"""Console: marketing composes, previews the audience size and sends; staff resolve the
opt-out mail queue, audited (BE-8, BE-9, QS-4)."""

from __future__ import annotations

from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.audit.models import AuditEntry
from keepfaith.comms.models import Campaign, OutboxMessage
from keepfaith.comms.receiving import inbound_process, inbound_store
from keepfaith.consent.selectors import current_choices
from tests.comms.conftest import UNSUBSCRIBE_ADDRESS, make_customer
from tests.comms.mailbuild import customer_mail
from tests.conftest import verified_client


@pytest.mark.clause("BE-8")
def test_marketing_composes_previews_and_sends(published: Any, mia: User, bob: User) -> None:
    make_customer("gus@example.com")
    client = verified_client(mia)
    response = client.post(
        "/console/campaigns/",
        {"kind": "newsletter", "subject": "Hello", "text": "Body", "html": ""},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    page = client.get(f"/console/campaigns/{campaign.pk}/")
    assert "1 customer" in page.content.decode()
    assert b"service_announcements" not in client.get("/console/campaigns/").content
    confirm = client.get(f"/console/campaigns/{campaign.pk}/send/").content.decode()
    assert "goes to 1 customer now" in confirm
    client.post(f"/console/campaigns/{campaign.pk}/send/", {"audience_size": "1"})
    assert OutboxMessage.objects.filter(campaign=campaign).count() == 1
    assert verified_client(bob).get("/console/campaigns/").status_code == 403


@pytest.mark.clause("BE-9")
def test_queue_item_resolved_by_the_privacy_officer(published: Any, pat: User) -> None:
    hans = make_customer("hans@example.com").customer_number or ""
    row, _ = inbound_store(
        raw=customer_mail(sender="hans.private@else.example", to=UNSUBSCRIBE_ADDRESS),
        origin="test",
    )
    inbound_process(message_id=row.pk)
    client = verified_client(pat)
    page = client.get("/console/mail/queue/")
    assert "the sender is not a customer&#x27;s address" in page.content.decode()
    assert AuditEntry.objects.filter(action="console.mail.queue").exists()
    item = row.queue
    response = client.post(
        f"/console/mail/queue/{item.pk}/", {"decision": "apply", "customer": hans}
    )
    assert response.status_code == 302
    assert {v.status.value for v in current_choices(subject=hans).values()} == {"opted-out"}
    assert AuditEntry.objects.filter(action="comms.queue.applied", subject=hans).exists()
    # the decision is a read of hans's data, under his number (his copy lists it)
    assert AuditEntry.objects.filter(action="console.mail.queue", subject=hans).exists()
    reads = AuditEntry.objects.filter(action="console.mail.queue").count()
    again = client.post(f"/console/mail/queue/{item.pk}/", {"decision": "dismiss"})
    assert AuditEntry.objects.filter(action="console.mail.queue").count() == reads  # read none
    shown = client.get(again["Location"]).content.decode()
    assert "was decided already" in shown


@pytest.mark.django_db
def test_campaigns_made_at_the_same_instant_list_newest_row_first() -> None:
    from django.utils import timezone

    from keepfaith.comms.selectors import campaign_list

    at = timezone.now()
    made = [
        Campaign.objects.create(kind="newsletter", subject=f"c{i}", text_body="x", created_at=at)
        for i in range(5)
    ]
    assert list(campaign_list()) == made[::-1]
