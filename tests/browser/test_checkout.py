"""Buying in a real browser: a hosting plan through the configurator (QualiSpace), and an
organisation-validated certificate (QualitySSL) after the certificate authority's notice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from keepfaith.accounts.models import User
from keepfaith.consent.models import ConsentEvent
from keepfaith.store.models import Order, OutsideTransfer
from keepfaith.vault.gateway import payment_processor_reset
from tests.conftest import PASSWORD

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def shop_settings(settings, tmp_path):
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    yield settings
    payment_processor_reset()


def log_in_and_pay(page, email: str) -> None:
    """From the cart: check out, log in when asked, pay with the Visa test card."""
    with page.expect_navigation():
        page.click("text=Check out")
    assert "/account/login/" in page.url
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/checkout/")
    page.fill("textarea[name=billing_address]", "Nellikevej 1, 2625 Vallensbaek")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=expiry_month]", "12")
    page.fill("input[name=expiry_year]", str(date.today().year + 2))
    page.fill("input[name=security_code]", "123")


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_hosting_plan_bought_through_the_configurator(
    page, live_server, transactional_db, shop_settings
):
    shop_settings.POLICY_PATH = EXAMPLES / "qualispace" / "policy.yaml"
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice")
    page.goto(f"{live_server.url}/shop/")
    page.click("text=Business hosting")
    page.select_option("select[name=option_disk]", "50gb")
    page.fill("input[name=option_domains]", "3")
    page.check("input[name=term][value='12']")
    # product.js prices the choices as they change; the term's own price shows the same total
    term_price = page.locator("[data-term-price='12']")
    page.wait_for_function(
        "el => el.textContent === document.querySelector('[data-price]').textContent",
        arg=term_price.element_handle(),
    )
    live = page.locator("[data-price]").inner_text()
    # a quantity the shop refuses leaves no price on the page, not the last choices' prices
    page.fill("input[name=quantity]", "0")
    page.wait_for_selector("[data-price-error]:not([hidden])")
    blank = "\u2013"  # the dash the page shows where no price is
    price_is = "p => document.querySelector('[data-price]').textContent === p"
    page.wait_for_function(price_is, arg=blank)
    page.wait_for_function(
        "p => [...document.querySelectorAll('[data-term-price]')].every(c => c.textContent === p)",
        arg=blank,
    )
    page.fill("input[name=quantity]", "1")
    page.wait_for_function(price_is, arg=live)
    assert term_price.inner_text() == live
    assert page.locator("[data-price-error]").is_hidden()
    assert "csrfmiddlewaretoken" not in page.url
    page.click("text=Update price")  # the same price from the server without the script
    page.wait_for_load_state()
    preview = page.locator("[data-price]").inner_text()
    assert preview.startswith("USD ") and preview == live
    assert "csrfmiddlewaretoken" not in page.url
    page.click("text=Add to cart")
    page.wait_for_url("**/cart/")
    assert page.locator("[data-total]").inner_text() == preview  # no sales tax in the catalogue
    log_in_and_pay(page, alice.email)
    page.click("text=Place order and pay")
    page.wait_for_url("**/account/orders/O-*/thanks/")
    assert "Thank you for your order" in page.locator("h1").inner_text()
    page.click("text=Go to your order")
    page.wait_for_url("**/account/orders/O-*/")
    assert page.locator("[data-card]").inner_text() == "Visa •••• 4242"
    order = Order.objects.get(customer=alice)
    assert order.lines.get().options == {"disk": "50gb", "domains": "3"}
    assert "4242 4242 4242 4242" not in page.content()


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("BE-10")
@pytest.mark.clause("QS-5")
def test_a_certificate_with_organisation_validation(
    page, live_server, transactional_db, shop_settings
):
    shop_settings.POLICY_PATH = EXAMPLES / "qualityssl" / "policy.yaml"
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice")
    page.goto(f"{live_server.url}/shop/qualityssl/")
    page.click("text=Add to cart")
    page.wait_for_url("**/cart/")
    log_in_and_pay(page, alice.email)
    notice = page.locator("#outside-party [data-notice]").inner_text()
    assert "certificate authority will collect your name" in notice
    assert page.locator("input[name=go_ahead]:checked").count() == 0
    page.fill("input[name=name]", "Alice Andersen")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=phone]", "+45 12 34 56 78")
    page.fill("input[name=organisation]", "Andersen ApS")
    page.fill("textarea[name=address]", "Nellikevej 1, 2625 Vallensbaek")
    page.check("input[name=go_ahead][value=proceed]")
    page.click("text=Place order and pay")
    page.wait_for_url("**/account/orders/O-*/thanks/")
    assert "Thank you for your order" in page.locator("h1").inner_text()
    page.click("text=Go to your order")
    page.wait_for_url("**/account/orders/O-*/")
    assert page.locator("[data-card]").inner_text() == "Visa •••• 4242"
    assert "You chose to go on" in page.locator("[data-go-ahead]").inner_text()
    order = Order.objects.get(customer=alice)
    assert order.go_ahead_given is True
    assert OutsideTransfer.objects.filter(order=order, status="queued").count() == 1
    consent = ConsentEvent.objects.get(key="outside_party:certificate-authority")
    assert consent.event == "given"


@pytest.mark.clause("BE-10")
def test_not_now_needs_none_of_the_certificate_authority_s_details(
    page, live_server, transactional_db, shop_settings
):
    """The page offers "Not now" with the authority's fields empty, so the browser must not
    demand them: they are needed (and checked by the server) only for going on."""
    shop_settings.POLICY_PATH = EXAMPLES / "qualityssl" / "policy.yaml"
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice")
    page.goto(f"{live_server.url}/shop/qualityssl/")
    page.click("text=Add to cart")
    page.wait_for_url("**/cart/")
    log_in_and_pay(page, alice.email)
    for name in ("phone", "organisation"):
        page.fill(f"input[name={name}]", "")
    page.check("input[name=go_ahead][value=proceed]")
    page.click("text=Place order and pay")  # going on without them: the server says what is missing
    page.wait_for_load_state()
    assert "/checkout/" in page.url and not Order.objects.exists()
    assert page.locator(".errorlist").count() >= 2
    page.fill("input[name=card_number]", "4242 4242 4242 4242")  # card fields are not kept
    page.fill("input[name=security_code]", "123")
    page.check("input[name=go_ahead][value=wait]")
    page.click("text=Place order and pay")
    page.wait_for_url("**/account/orders/O-*/thanks/")
    order = Order.objects.get(customer=alice)
    assert order.go_ahead_given is None or order.go_ahead_given is False
    assert not OutsideTransfer.objects.filter(order=order).exists()
