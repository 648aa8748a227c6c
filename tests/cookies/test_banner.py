"""The banner's choice, the cookies it governs, forgery protection and GPC (QS-7, BE-2, BE-4)."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.cookies.choice import CookieChoice, choice_encode
from keepfaith.inforce import in_force
from tests.conftest import PASSWORD

SAME = {"HTTP_ORIGIN": "http://testserver"}
GPC = {"HTTP_SEC_GPC": "1"}


def set_names(response):
    return {name for name, morsel in response.cookies.items() if morsel.value}


def deleted_names(response):
    return {name for name, morsel in response.cookies.items() if not morsel.value}


def choose(client, choice, **extra):
    data = {"choice": choice, "next": extra.pop("next", "/")}
    data.update(extra.pop("data", {}))
    return client.post("/cookies/", data, **{**SAME, **extra})


@pytest.mark.clause("BE-2")
@pytest.mark.clause("QS-7")
def test_browsing_sets_no_cookie_and_no_session(client, db):
    pages = ("/", "/privacy/", "/privacy/updates/", "/da/privacy/", "/cookies/", "/privacy.json")
    for path in pages:
        response = client.get(path + "?utm_campaign=spring")
        assert response.status_code == 200, path
        assert set(response.cookies) == set(), path
    assert Session.objects.count() == 0
    assert b"cookie-banner" in client.get("/").content


@pytest.mark.clause("QS-7")
def test_accept_sets_returning_then_campaign_from_the_landing_url(client, db):
    response = choose(client, "accept", next="/?utm_campaign=spring")
    assert response.status_code == 302
    assert response["Location"] == "/?utm_campaign=spring"
    assert set_names(response) == {"kf_consent", "kf_returning"}
    returning = response.cookies["kf_returning"].value
    landing = client.get(response["Location"])
    assert set_names(landing) == {"kf_campaign"}
    assert landing.cookies["kf_campaign"].value == "spring"
    assert landing.cookies["kf_campaign"]["max-age"] == 90 * 86400
    assert b"cookie-banner" not in landing.content
    again = client.get("/")
    assert set(again.cookies) == set()  # the random id is kept, not re-rolled
    assert client.cookies["kf_returning"].value == returning


@pytest.mark.clause("BE-2")
def test_reject_sets_only_the_choice(client, db):
    response = choose(client, "reject", next="/?campaign=spring")
    assert set_names(response) == {"kf_consent"}
    assert set_names(client.get("/?campaign=spring")) == set()


@pytest.mark.clause("BE-2")
def test_rejecting_later_deletes_the_optional_cookies(client, db):
    choose(client, "accept", next="/")
    client.get("/?utm_campaign=spring")
    response = choose(client, "reject")
    assert deleted_names(response) == {"kf_returning", "kf_campaign"}


@pytest.mark.feature("choices.cookie-settings")
@pytest.mark.clause("QS-7")
def test_customise_keeps_only_the_ticked_purposes(client, db):
    page = client.get("/cookies/")
    assert b'value="personalize.content"' in page.content
    assert b"<code>partner_ref</code>" in page.content
    response = choose(client, "save", data={"purpose": ["analytics.reporting.campaign_insights"]})
    assert set_names(response) == {"kf_consent"}
    assert set_names(client.get("/?utm_campaign=spring")) == {"kf_campaign"}
    ticked = b'value="analytics.reporting.campaign_insights" checked'
    page = client.get("/cookies/").content.decode()
    assert ticked.decode() in page
    # the summary names just the accepted purpose: no dangling comma (SITE-5)
    assert "You accepted: Campaign measurement.</p>" in page
    choose(client, "save", data={"purpose": ["analytics.reporting.campaign_insights",
                                             "personalize.content"]})  # fmt: skip
    both = client.get("/da/cookies/").content.decode()
    assert "accepteret: Genkendelse af tilbagevendende besøgende og Kampagnemåling.</p>" in both
    # a partner's cookie names the partner as the statement does, not the policy's key
    assert ">Forhandlere og affiliate-partnere (tredjepart)</td>" in both
    assert "affiliates)" not in both


@pytest.mark.clause("BE-2")
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "cross-site"},
        {},
    ],
)
def test_cross_site_choice_is_refused(db, headers):
    client = Client()
    response = client.post("/cookies/", {"choice": "accept", "next": "/"}, **headers)
    assert response.status_code == 403
    assert "a cookie choice can only be made on this site" in response.content.decode()
    assert set(response.cookies) == set()


@pytest.mark.clause("SITE-5")
def test_a_refused_choice_is_said_on_the_site_s_page_in_danish(db):
    response = Client().post("/da/cookies/", {"choice": "accept"}, HTTP_ORIGIN="https://x.example")
    page = response.content.decode()
    assert response.status_code == 403 and '<html lang="da"' in page
    assert "et cookievalg kan kun træffes på dette websted" in page
    refused = Client().post("/da/cookies/", {"choice": "maybe"}, HTTP_ORIGIN="http://testserver")
    assert refused.status_code == 400 and "Vælg »Accepter alle«" in refused.content.decode()


def test_same_origin_referer_is_enough_without_origin(client, db):
    response = client.post(
        "/cookies/", {"choice": "reject"}, HTTP_REFERER="http://testserver/privacy/"
    )
    assert response.status_code == 302
    assert response["Location"] == "/cookies/"


def test_next_may_not_leave_the_site(client, db):
    response = choose(client, "reject", next="https://evil.example/")
    assert response["Location"] == "/cookies/"


@pytest.mark.clause("SITE-5")
def test_saving_on_the_danish_page_goes_back_in_danish(client, db):
    """The language switch on /cookies/?next=/shop/ keeps the place to go back to; saving on
    the Danish page then goes back to the Danish shop, not the English one."""
    response = client.post(
        "/da/cookies/", {"choice": "reject", "next": "/shop/"}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 302 and response["Location"] == "/da/shop/"
    english = client.post(
        "/cookies/", {"choice": "reject", "next": "/da/shop/"}, HTTP_ORIGIN="http://testserver"
    )
    assert english["Location"] == "/shop/"


def test_unknown_action_is_a_clear_error(client, db):
    response = choose(client, "maybe")
    assert response.status_code == 400
    assert "Choose “Accept all”, “Reject all” or “Save my choice”." in response.content.decode()


@pytest.mark.clause("BE-4")
def test_gpc_refuses_campaign_cookie_even_after_accept_all(client, db):
    response = choose(client, "accept", next="/?utm_campaign=spring", **GPC)
    assert set_names(response) == {"kf_consent", "kf_returning"}
    assert set_names(client.get("/?utm_campaign=spring", **GPC)) == set()
    page = client.get("/cookies/", **GPC)
    assert b'id="gpc-notice"' in page.content


@pytest.mark.clause("BE-4")
def test_gpc_deletes_a_campaign_cookie_set_before(client, db):
    choose(client, "accept")
    client.get("/?utm_campaign=spring")
    assert deleted_names(client.get("/", **GPC)) == {"kf_campaign"}


@pytest.mark.clause("BE-2")
@pytest.mark.clause("BE-4")
def test_gpc_of_a_signed_in_customer_is_recorded_once(client, alice):
    client.post(
        "/account/login/", {"username": alice.email, "password": PASSWORD}, **SAME
    )  # CSRF checks are off in the test client
    for _ in range(3):
        client.get("/", **GPC)
    entries = AuditEntry.objects.filter(action="cookie.gpc")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.subject == alice.customer_number
    assert entry.detail["refused"] == [
        "analytics.reporting.campaign_insights",
        "marketing.advertising.third_party",
    ]
    from keepfaith.consent.models import ConsentEvent

    events = ConsentEvent.objects.filter(subject=alice.customer_number, source="gpc")
    assert sorted(events.values_list("key", "event")) == [
        ("analytics.reporting.campaign_insights", "opted-out"),
        ("marketing.advertising.third_party", "opted-out"),
    ]


def test_anonymous_gpc_leaves_no_record(client, db):
    client.get("/", **GPC)
    assert AuditEntry.objects.count() == 0
    assert Session.objects.count() == 0


@pytest.mark.clause("BE-4")
def test_gpc_json_is_served(client, db):
    response = client.get("/.well-known/gpc.json")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"gpc": True, "lastUpdate": "2024-01-01"}


def test_a_malformed_choice_cookie_asks_again(client, db):
    client.cookies["kf_consent"] = "nonsense"
    assert b"cookie-banner" in client.get("/").content
    client.cookies["kf_consent"] = choice_encode(CookieChoice(frozenset(), "2024.1"))
    assert b"cookie-banner" not in client.get("/").content


def test_footer_links_the_cookie_settings(client, db):
    assert b'href="/cookies/">Cookie settings</a>' in client.get("/privacy/").content


@pytest.mark.clause("BE-4")
def test_the_forgery_token_cookie_ends_with_the_browser_as_the_registry_says(client, db):
    """The security use keeps data for the visit only: the token has no expiry."""
    response = client.get("/account/login/")
    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    [declared] = [c for c in in_force().policy.cookies if c.name == "csrftoken"]
    assert declared.lifetime == "session"
