"""A form's address opened by GET (a reload, a bookmark, the address typed) leads to the page
the form is on, not to a bare 405 (Chromium's "HTTP ERROR 405"); nothing is done."""

from __future__ import annotations

import pytest

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from tests.campaigns import create_campaign
from tests.conftest import make_staff, verified_client

pytestmark = [pytest.mark.clause("QS-3")]


def test_a_campaign_s_action_address_leads_to_the_campaign(published, mia):
    campaign = create_campaign(
        kind="newsletter", subject="Spring", text="x", actor=Actor(ActorKind.STAFF, mia.email)
    )
    opened = verified_client(mia).get(f"/console/campaigns/{campaign.pk}/act/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/console/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_the_refund_address_leads_to_the_orders_page(published):
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    opened = bill.get("/console/payments/ch_anything/refund/")
    assert opened.status_code == 302 and opened["Location"] == "/console/orders/"
