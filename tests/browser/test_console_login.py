"""Staff sign-in in a real browser: password, then the authenticator code."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.totp import current_code
from tests.conftest import PASSWORD, make_staff

pytestmark = [pytest.mark.clause("QS-3")]


def test_staff_signs_in_with_a_second_factor(page, live_server, transactional_db):
    bob = make_staff("bob@staff.example", "support")
    page.goto(f"{live_server.url}/console/customers/")
    assert "/console/login/" in page.url
    page.fill("input[name=username]", bob.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/console/verify/" in page.url
    page.fill("input[name=token]", current_code(TOTPDevice.objects.get(user=bob)))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/console/customers/")
    assert page.locator("h1").inner_text() == "Customers"
    assert "recorded in the audit log" in page.content()


def test_home_page_renders_with_its_stylesheet(page, live_server, transactional_db):
    response = page.goto(f"{live_server.url}/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "QualitySSL"  # the trading name from the policy
    assert page.locator("a.brand").inner_text() == "QualitySSL"
    color = page.evaluate(
        "getComputedStyle(document.querySelector('header.top')).borderBottomStyle"
    )
    assert color == "solid"  # the app served its own CSS (no CDN)
