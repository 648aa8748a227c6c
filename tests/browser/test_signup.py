"""Sign up in a real headless Chromium, declining the newsletter: the ledger and the
preferences page agree (SITE-1, BE-2, BE-9, QS-4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from keepfaith.accounts.models import User
from keepfaith.consent.selectors import current_choices
from keepfaith.versions.services import policy_publish_file

BE_PATH = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"
NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"


@pytest.mark.clause("SITE-1")
@pytest.mark.clause("BE-2")
@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
def test_sign_up_unticking_the_newsletter(page, live_server, public_site, transactional_db):
    version, _ = policy_publish_file(path=BE_PATH)
    page.goto(f"{live_server.url}/account/signup/")
    assert "What we collect here" in page.locator(".collection-notice").inner_text()
    newsletter = page.locator(f"input[name='choice.{NEWSLETTER}']")
    assert newsletter.is_checked() is False  # Denmark: no pre-ticked boxes
    newsletter.check()
    newsletter.uncheck()  # the visitor changes their mind
    page.check(f"input[name='choice.{NEWS}']")
    page.fill("input[name='email']", "nina@example.com")
    page.fill("input[name='full_name']", "Nina New")
    page.fill("input[name='password1']", "a long enough secret phrase")
    page.fill("input[name='password2']", "a long enough secret phrase")
    page.click("button:has-text('Create my account')")
    page.wait_for_url(f"{live_server.url}/account/signup/sent/")
    assert {c["name"] for c in page.context.cookies()} == {"csrftoken"}

    [message] = mail.outbox
    link = re.search(r"http://\S+/account/verify/\S+/", str(message.body))
    assert link is not None, message.body
    page.goto(link.group(0))
    page.wait_for_url(f"{live_server.url}/account/")
    assert "Your e-mail address is confirmed" in page.content()

    page.goto(f"{live_server.url}/account/preferences/")
    newsletter_row = page.locator("tr[data-kind='newsletter']")
    assert newsletter_row.locator(".state").inner_text() == "off"
    assert newsletter_row.locator("input[type=checkbox]").is_checked() is False
    assert page.locator("tr[data-kind='promotions'] .state").inner_text() == "on"
    announcements = page.locator("tr[data-kind='service_announcements']")
    assert "always on" in announcements.inner_text()

    user = User.objects.get(email="nina@example.com")
    choices = current_choices(subject=user.customer_number or "")
    assert choices[NEWSLETTER].status == "opted-out"
    assert choices[NEWS].status == "given"
    assert choices[NEWSLETTER].policy_version == version.label
