"""Journeys that end somewhere, in a real browser: a support conversation between a customer
and an agent, an order through to its invoice, a password changed while signed in."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.models import User
from keepfaith.accounts.totp import current_code
from keepfaith.comms.delivery import deliver_pending
from keepfaith.store.models import Order
from keepfaith.support.models import SupportTicket
from keepfaith.vault.gateway import payment_processor_reset
from tests.conftest import PASSWORD, make_staff


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.clause("BE-3")
def test_a_support_conversation(browser, live_server, transactional_db):
    base = live_server.url
    User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    bob = make_staff("bob@staff.example", "support")
    customer = browser.new_context()
    page = customer.new_page()
    log_in(page, base, "alice@example.com")
    page.goto(f"{base}/support/")
    page.click("text=Open a ticket")
    page.fill("input[name=summary]", "Chain incomplete")
    page.fill("textarea[name=description]", "Firefox says the chain is incomplete.")
    page.fill("input[name=operating_system]", "Debian 12")
    page.fill("input[name=browser]", "Firefox 128")
    page.fill("textarea[name=software_versions]", "nginx 1.22")
    page.click("#ticket-form button[type=submit]")
    page.wait_for_url(f"{base}/support/ticket/*/")
    assert page.locator("#ticket-status").inner_text() == "Open"
    ticket = SupportTicket.objects.get()

    staff = browser.new_context()
    console = staff.new_page()
    console.goto(f"{base}/console/support/{ticket.reference}/")
    console.fill("input[name=username]", bob.email)
    console.fill("input[name=password]", PASSWORD)
    console.click("main button[type=submit]")
    console.fill("input[name=token]", current_code(TOTPDevice.objects.get(user=bob)))
    console.click("main button[type=submit]")
    console.wait_for_url(f"{base}/console/support/{ticket.reference}/")
    assert "Debian 12" in console.content()
    console.fill("textarea[name=body]", "Which file does ssl_certificate point at?")
    console.check("input[name=waiting]")
    console.click("#reply-form button[type=submit]")
    console.wait_for_url(f"{base}/console/support/{ticket.reference}/")
    deliver_pending()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]

    page.reload()
    assert page.locator("#ticket-status").inner_text() == "Waiting for you"
    assert "Which file does ssl_certificate point at?" in page.content()
    page.fill("textarea[name=body]", "/etc/ssl/site.pem, without the intermediate.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_url(f"{base}/support/ticket/{ticket.reference}/")
    assert page.locator("#ticket-status").inner_text() == "Open"
    console.reload()
    assert "/etc/ssl/site.pem" in console.content()
    page.click("#close-form button[type=submit]")
    page.wait_for_url(f"{base}/support/ticket/{ticket.reference}/")
    assert page.locator("#ticket-status").inner_text() == "Closed"
    assert page.locator("#reply-form").count() == 0
    ticket.refresh_from_db()
    assert ticket.expires_at is not None
    customer.close()
    staff.close()


@pytest.mark.clause("SITE-2")
def test_an_order_through_to_its_invoice(page, live_server, transactional_db, settings, tmp_path):
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    base = live_server.url
    User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")
    log_in(page, base, "alice@example.com")
    page.goto(f"{base}/shop/qualityssl-mobile/")
    page.click("text=Add to cart")
    page.wait_for_url("**/cart/")
    page.click("text=Check out")
    page.wait_for_url("**/checkout/")
    page.fill("textarea[name=billing_address]", "Nellikevej 1, 2625 Vallensbaek")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=expiry_month]", "12")
    page.fill("input[name=expiry_year]", str(date.today().year + 2))
    page.fill("input[name=security_code]", "123")
    page.click("text=Place order and pay")
    page.wait_for_url("**/account/orders/O-*/thanks/")
    order = Order.objects.get()
    assert order.number in page.content()
    page.click("text=Invoice (to print or save as PDF)")
    page.wait_for_url(f"{base}/account/orders/{order.number}/invoice/")
    assert page.locator("[data-total]").inner_text().replace("\xa0", " ").startswith("EUR")
    assert "DK12345678" in page.content()
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()  # prints as an invoice, no site chrome
    payment_processor_reset()


@pytest.mark.clause("SITE-1")
def test_a_password_changed_while_signed_in(page, live_server, transactional_db):
    base = live_server.url
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice")
    log_in(page, base, alice.email)
    page.goto(f"{base}/account/")
    page.click("text=Change my password")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", "a-New-passw0rd-2026")
    page.fill("input[name=new_password2]", "a-New-passw0rd-2026")
    page.click("#password-change-form button[type=submit]")
    page.wait_for_url(f"{base}/account/")
    assert "Your password is changed." in page.content()
    page.click("form[action='/account/logout/'] button")
    page.wait_for_url(f"{base}/")
    log_in(page, base, alice.email, "a-New-passw0rd-2026")
