"""Campaign measurement does what the statement says ``kf_campaign`` is for: the sign-ups and
orders of browsers that came through a campaign link and accepted it are counted per code,
shown to marketing as totals; a browser that refused counts for nothing (BE-4, QS-7)."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.comms.models import CampaignResult
from keepfaith.comms.results import campaign_results
from tests.accounts.test_signup import sign_up
from tests.conftest import verified_client
from tests.cookies.test_banner import choose
from tests.store.conftest import add_to_cart, checkout

pytestmark = [pytest.mark.clause("BE-4"), pytest.mark.clause("QS-7")]


def _arrived(choice: str, code: str) -> Client:
    client = Client()
    choose(client, choice)
    client.get(f"/?utm_campaign={code}")
    return client


@pytest.mark.feature("cookies.campaign-measurement")
def test_sign_ups_and_orders_are_counted_per_campaign_code(published, alice, mia):
    accepted = _arrived("accept", "spring")
    assert accepted.cookies["kf_campaign"].value == "spring"
    sign_up(accepted, published.label, email="nina@example.com")
    refused = _arrived("reject", "spring")  # no cookie, nothing counted
    assert "kf_campaign" not in refused.cookies
    sign_up(refused, published.label, email="otto@example.com")
    shopper = _arrived("accept", "autumn")
    shopper.force_login(alice)
    add_to_cart(shopper, "qualityssl-mobile", term="12")
    assert checkout(shopper).status_code == 302
    totals = {(r.code, r.signups, r.orders) for r in campaign_results()}
    assert totals == {("spring", 1, 0), ("autumn", 0, 1)}
    assert set(CampaignResult.objects.values_list("code", flat=True)) == {"spring", "autumn"}
    page = verified_client(mia).get("/console/campaigns/").content.decode()
    assert "What campaign links brought" in page
    assert '<td>spring</td><td class="num">1</td><td class="num">0</td>' in page


def test_a_choice_withdrawn_since_counts_for_nothing(published):
    client = _arrived("accept", "spring")
    choose(client, "reject")  # the cookie is deleted on this response
    client.cookies["kf_campaign"] = "spring"  # a browser that kept it anyway
    sign_up(client, published.label, email="nina@example.com")
    assert not CampaignResult.objects.exists()


@pytest.mark.feature("cookies.returning-greeting")
def test_a_returning_browser_that_agreed_is_greeted_back_and_no_other(db):
    """What kf_returning is for: the home page greets a browser it recognises. Before, the id
    was set after consent and read by nothing."""
    agreed = Client()
    choose(agreed, "accept")
    assert "kf_returning" in agreed.cookies
    assert "data-returning" in agreed.get("/").content.decode()
    refused = Client()
    choose(refused, "reject")
    refused.cookies["kf_returning"] = "kept-anyway"
    assert "data-returning" not in refused.get("/").content.decode()
    assert "data-returning" not in Client().get("/").content.decode()
