"""Change the login address in a real headless Chromium: password, pending notice, the link
from the mail, the confirmation button, then log in with the new address (issue 15.4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from keepfaith.accounts.models import ContactDetailsChange, User
from keepfaith.versions.services import policy_publish_file
from tests.conftest import PASSWORD

BE_PATH = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"
NEW = "alice.new@example.com"


def log_in(page, url: str, address: str) -> None:
    page.goto(f"{url}/account/login/")
    page.fill("input[name='username']", address)
    page.fill("input[name='password']", PASSWORD)
    page.click("button:has-text('Log in')")


@pytest.mark.clause("SITE-1")
@pytest.mark.clause("QS-4")
def test_change_the_login_address_and_confirm_it(
    page, browser, live_server, public_site, transactional_db
):
    policy_publish_file(path=BE_PATH)
    User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    log_in(page, live_server.url, "alice@example.com")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/account/contact/")
    page.fill("#contact-form input[name='email']", NEW)
    page.fill("#contact-form input[name='current_password']", PASSWORD)
    page.click("#contact-form button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/account/contact/")
    assert NEW in page.locator("#pending-email-change").inner_text()
    assert User.objects.get(full_name="Alice Andersen").email == "alice@example.com"

    [to_new] = [m for m in mail.outbox if m.to == [NEW]]
    [to_old] = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert NEW in str(to_old.body)
    link = re.search(r"http://\S+/account/email/confirm/\S+/", str(to_new.body))
    assert link is not None, to_new.body

    other = browser.new_context().new_page()  # the mail opened on another device
    other.goto(link.group(0))
    assert User.objects.get(full_name="Alice Andersen").email == "alice@example.com"
    other.click("#email-confirm button")
    other.wait_for_selector("text=Your e-mail address is changed")
    assert User.objects.get(full_name="Alice Andersen").email == NEW
    assert ContactDetailsChange.objects.filter(field="email", new=NEW).count() == 1

    page.goto(f"{live_server.url}/account/contact/")
    assert page.locator("#pending-email-change").count() == 0
    assert NEW in page.locator("#contact-history").inner_text()
    fresh = browser.new_context().new_page()
    log_in(fresh, live_server.url, NEW)
    fresh.wait_for_url(f"{live_server.url}/")
    stale = browser.new_context().new_page()
    log_in(stale, live_server.url, "alice@example.com")
    assert "/account/login/" in stale.url
    for opened in (other, fresh, stale):
        opened.context.close()
