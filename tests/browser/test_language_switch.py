"""The language switch in a real browser (SITE-5): same page, no cookie for a visitor; a
customer's choice is kept on the account and used at the next login."""

from __future__ import annotations

import pytest

from keepfaith.accounts.models import User
from keepfaith.versions.services import policy_publish_file
from tests.browser.test_privacy_pages import EXAMPLES
from tests.conftest import PASSWORD


@pytest.mark.clause("SITE-5")
def test_the_switch_keeps_the_page_and_the_customer_choice(page, live_server, transactional_db):
    policy_publish_file(path=EXAMPLES["qualityssl"])
    User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    page.goto(f"{live_server.url}/shop/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav.language-switch >> text=Dansk")
    page.wait_for_url(f"{live_server.url}/da/shop/")
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.locator("h1").inner_text() == "Butik"
    assert page.context.cookies() == []  # switching is a link: no cookie

    page.goto(f"{live_server.url}/da/account/login/")
    page.fill("input[name=username]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/da/")
    page.goto(f"{live_server.url}/da/account/orders/")
    page.click("nav.language-switch >> text=English")
    page.wait_for_url(f"{live_server.url}/account/orders/")
    assert page.locator("h1").inner_text() == "My orders"
    assert User.objects.get(email="alice@example.com").language == "en"
