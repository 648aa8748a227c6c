"""Cookies in a real headless Chromium: browsing leaves nothing, the banner's choice holds,
GPC is honoured (QS-7, BE-2, BE-4)."""

from __future__ import annotations

import pytest
from django.apps import apps

from keepfaith.inforce import in_force

PUBLIC_PAGES = ("/", "/privacy/", "/privacy/updates/", "/da/privacy/", "/cookies/")
OPTIONAL = {"kf_returning", "kf_campaign"}


def row_counts() -> dict[str, int]:
    """Rows in every table of every installed model (auto-created link tables included)."""
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


@pytest.mark.clause("BE-2")
@pytest.mark.clause("QS-7")
def test_browsing_six_public_pages_leaves_no_cookie_and_no_row(page, live_server, transactional_db):
    before = row_counts()
    for path in PUBLIC_PAGES:
        response = page.goto(f"{live_server.url}{path}?utm_campaign=spring")
        assert response.status == 200, path
        assert page.locator("h1").count() >= 1
    assert names(page) == set()  # five pages without a form: no cookie at all
    page.goto(f"{live_server.url}/account/login/")
    # The log-in form needs its forgery token: strictly necessary, listed, and the only one.
    assert names(page) == {"csrftoken"}
    rule = in_force().cookies.rule("csrftoken")
    assert rule is not None
    assert rule.essential is True
    assert row_counts() == before


@pytest.mark.clause("QS-7")
@pytest.mark.clause("BE-2")
def test_accept_all_sets_returning_and_campaign_cookies(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/?utm_campaign=spring")
    assert names(page) == set()
    accept = page.locator("#cookie-banner button", has_text="Accept all")
    reject = page.locator("#cookie-banner button", has_text="Reject all")
    boxes = (accept.bounding_box(), reject.bounding_box())
    sizes = [(box["width"], box["height"]) for box in boxes]
    assert sizes[0] == sizes[1]  # refusing is as easy as accepting
    accept.click()
    page.wait_for_url(f"{live_server.url}/?utm_campaign=spring")
    assert names(page) == {"kf_consent", "kf_returning", "kf_campaign"}
    campaign = next(c for c in page.context.cookies() if c["name"] == "kf_campaign")
    assert campaign["value"] == "spring"
    assert campaign["httpOnly"] is True
    assert page.locator("#cookie-banner").count() == 0


@pytest.mark.clause("BE-2")
def test_reject_all_sets_only_the_choice(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/privacy/?utm_campaign=spring")
    page.locator("#cookie-banner button", has_text="Reject all").click()
    page.wait_for_url(f"{live_server.url}/privacy/?utm_campaign=spring")
    assert names(page) == {"kf_consent"}
    page.goto(f"{live_server.url}/?campaign=autumn")
    assert names(page) & OPTIONAL == set()
    assert page.locator("#cookie-banner").count() == 0


@pytest.mark.clause("QS-7")
def test_customise_and_change_the_choice_later(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/")
    page.locator("#cookie-banner a", has_text="Customise").click()
    page.wait_for_url(f"{live_server.url}/cookies/?next=/")
    assert page.locator("table.cookie-registry tbody tr").count() == len(in_force().cookies.names)
    page.check("input[value='personalize.content']")
    page.click("button:has-text('Save my choice')")
    page.wait_for_url(f"{live_server.url}/")
    assert names(page) == {"kf_consent", "kf_returning"}
    page.goto(f"{live_server.url}/cookies/")
    page.click("button:has-text('Reject all')")
    page.wait_for_url(f"{live_server.url}/cookies/")
    assert names(page) == {"kf_consent"}
    assert "refused every optional cookie" in page.locator("#current-choice").inner_text()


@pytest.mark.clause("BE-4")
def test_gpc_header_keeps_marketing_cookies_off(browser, live_server, transactional_db):
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/?utm_campaign=spring")
        assert "Global Privacy Control" in page.locator("#cookie-banner").inner_text()
        page.locator("#cookie-banner button", has_text="Accept all").click()
        page.wait_for_url(f"{live_server.url}/?utm_campaign=spring")
        assert names(page) == {"kf_consent", "kf_returning"}
        assert "kf_campaign" not in names(page)
        gpc = page.goto(f"{live_server.url}/.well-known/gpc.json")
        assert gpc.json()["gpc"] is True
    finally:
        context.close()
