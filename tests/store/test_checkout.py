"""Cart and checkout through the real views: one order, one charge; bad input is refused."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from keepfaith.audit.models import AuditEntry
from keepfaith.store.models import Order, OrderLine, Renewal
from keepfaith.vault.models import StoredCardRecord
from tests.store.conftest import (
    add_to_cart,
    card_fields,
    checkout,
    checkout_page,
    processor_ledger,
)


def customer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.clause("QS-7")
def test_browsing_the_shop_creates_no_session(db):
    client = Client()
    for path in (
        "/shop/",
        "/shop/qualityssl/",
        "/shop/qualityssl-ucc/?option_extra_names=3",
        "/cart/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "sessionid" not in response.cookies, path


@pytest.mark.clause("QS-7")
@pytest.mark.clause("SITE-2")
def test_the_cart_works_before_login_and_checkout_asks_for_an_account(db):
    client = Client()
    response = add_to_cart(client, "qualityssl-mobile", term="24")
    assert response.status_code == 302
    assert "cart" in response.cookies  # the cart's own cookie: no session, no database row
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0
    cart = client.get("/cart/")
    assert "QualitySSL Mobile, 24 months" in cart.content.decode()
    assert "you will be asked to log in" in cart.content.decode()
    assert "added at checkout" not in cart.content.decode()  # the cart already adds the VAT
    response = client.get("/checkout/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/checkout/")
    from keepfaith.accounts.models import User

    client.force_login(User.objects.create_user("cart@example.com", "a long enough secret"))
    assert "you will be asked to log in" not in client.get("/cart/").content.decode()


@pytest.mark.feature("collection.checkout")
@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_checkout_makes_one_paid_order_with_a_masked_card(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", term="12")
    response = checkout(client)
    assert response.status_code == 302
    order = Order.objects.get(customer=alice)
    assert response["Location"] == f"/account/orders/{order.number}/thanks/"
    assert order.card_masked() == "Visa •••• 4242"
    assert len(processor_ledger()) == 1
    assert processor_ledger()[0].amount_minor == order.total_minor
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "Visa •••• 4242" in page
    assert "4242 4242 4242 4242" not in page and "4242424242424242" not in page
    assert Renewal.objects.filter(line__order=order).count() == 1
    assert client.get("/cart/").context["lines"] == []
    asked = AuditEntry.objects.get(
        action="gate.check",
        subject=alice.customer_number,
        use="essential.service.payment_processing",
        detail__recipient="payment-processor",
    )
    assert (asked.outcome, asked.use, asked.detail["recipient"]) == (
        "allowed",
        "essential.service.payment_processing",
        "payment-processor",
    )


@pytest.mark.clause("SITE-2")
def test_a_double_submit_makes_one_order_and_one_charge(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    data = {**checkout_page(client), **card_fields()}
    first = client.post("/checkout/", data)
    add_to_cart(client, "qualityssl-mobile")  # the cart is not empty on the second submit
    second = client.post("/checkout/", data)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert len(processor_ledger()) == 1


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_checkout_token_not_given_to_this_session_charges_nothing(alice, carol):
    """Another customer's token (or one made up) is refused before any charge, with a
    message and a fresh token: it could otherwise name someone else's order."""
    first = customer_client(alice)
    add_to_cart(first, "qualityssl-mobile")
    taken = checkout_page(first)["checkout_token"]
    first.post("/checkout/", {**checkout_page(first), **card_fields()})
    assert Order.objects.count() == 1 and len(processor_ledger()) == 1
    other = customer_client(carol)
    add_to_cart(other, "qualityssl-mobile")
    for token in (taken, "made-up", "x" * 100):
        page = other.post(
            "/da/checkout/", {**checkout_page(other), **card_fields(), "checkout_token": token}
        )
        assert page.status_code == 400
        assert "Denne betalingsside er forældet" in page.content.decode(), token
    assert Order.objects.count() == 1 and len(processor_ledger()) == 1
    # the page sent back carries a fresh token of this session: sending it again works
    fresh = re.search(r'name="checkout_token" value="([^"]+)"', page.content.decode())
    assert fresh is not None and fresh.group(1) not in (taken, "made-up", "x" * 100)
    again = other.post("/checkout/", {**checkout_page(other), **card_fields()})
    assert again.status_code == 302  # with the page's own token it goes through
    assert Order.objects.filter(customer=carol).count() == 1


@pytest.mark.clause("SITE-2")
def test_a_posted_price_is_ignored(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile", price="1", total_minor="1", unit_minor="1")
    checkout(client, total="1", total_minor="1", amount_minor="1")
    order = Order.objects.get()
    assert order.total_minor > 1
    assert processor_ledger()[0].amount_minor == order.total_minor


@pytest.mark.clause("SITE-2")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"product": "qualityssl-platinum"}, "here is no such product"),
        ({"quantity": "-3"}, "The quantity cannot be negative."),  # said as a sentence
        ({"quantity": "0"}, "The quantity must be at least 1."),
        ({"quantity": "9" * 5000}, "The quantity is too long"),
        ({"term": "7"}, "is not sold for 7 months"),
        ({"option_extra_names": "-1"}, "extra names cannot be negative"),
        ({"option_extra_names": "98"}, "extra names can be at most 97"),
        ({"option_colour": "red"}, "An option was sent that this product does not have"),
    ],
)
def test_tampered_cart_input_is_refused_and_adds_nothing(db, fields, message):
    client = Client()
    data = {"product": "qualityssl-ucc", "action": "add", "quantity": "1", **fields}
    response = client.post("/cart/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert client.session.get("cart") in (None, [])


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(
    ("card", "message"),
    [
        (card_fields(year="2020"), "The card has expired."),
        (card_fields(number="4242 4242 4242 4241"), "The card number is not valid"),
        (card_fields(number="4" * 5000), "The card number is too long."),
        (card_fields(code="12"), "The Visa security code has 3 digits."),
        (card_fields(number="4000 0000 0000 9995"), "declined for insufficient funds"),
        (card_fields(number="4000 0000 0000 0002"), "declined by its bank"),
    ],
)
def test_bad_or_declined_cards_leave_no_order_and_a_clear_message(alice, card, message):
    """The message in the page's language; the Danish ones: tests/portal/test_danish_pages."""
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    response = checkout(client, **card)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    if "declined" in message:  # the number was given: the page must not ask for it
        assert "Enter the card number." not in body
    digits = card["card_number"].replace(" ", "")
    assert card["card_number"] not in body and digits not in body
    for name in ("card_number", "security_code"):  # the card fields are never filled back in
        assert re.search(rf'name="{name}"[^>]*value=', body) is None
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert StoredCardRecord.objects.count() == 0
    assert processor_ledger() == []


@pytest.mark.clause("SITE-2")
def test_after_a_decline_a_new_card_can_pay(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    declined = checkout(client, **card_fields(number="4000 0000 0000 9995"))
    assert declined.status_code == 400
    paid = client.post("/checkout/", {**checkout_page(client, declined), **card_fields()})
    assert paid.status_code == 302
    assert Order.objects.count() == 1
    assert len(processor_ledger()) == 1


@pytest.mark.clause("SITE-2")
def test_a_free_trial_needs_no_card_and_renews_as_the_standard_product(alice, carol):
    def collected(page: str) -> str:
        start = page.index("What we collect here:")
        return page[start : page.index("</p>", start)]

    client = customer_client(alice)
    add_to_cart(client, "qualityssl-trial")
    page = client.get("/checkout/").content.decode()
    assert "Nothing to pay" in page
    assert "card number" not in collected(page).lower()  # it says what this page asks for
    paying = customer_client(carol)
    add_to_cart(paying, "qualityssl-mobile")
    assert "card number" in collected(paying.get("/checkout/").content.decode()).lower()
    response = checkout(client, card_number="", security_code="")
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total_minor == 0 and order.card is None
    renewal = Renewal.objects.get(line__order=order)
    assert renewal.product_id == "qualityssl"
    assert (renewal.due - timezone.localdate(order.created)).days == 30
    assert processor_ledger() == []


def test_another_customers_order_is_not_found(alice, carol):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    checkout(client)
    number = Order.objects.get().number
    other = customer_client(carol)
    assert other.get(f"/account/orders/{number}/").status_code == 404
    assert other.get("/account/orders/").context["orders"] == []


@pytest.mark.clause("QS-5")
def test_error_reports_hide_the_card_fields_and_the_orders_list_shows_the_masked_card(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    response = checkout(client)
    request = response.wsgi_request
    assert set(request.sensitive_post_parameters) >= {"card_number", "security_code"}
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleansed["card_number"] == cleansed["security_code"] == "********************"
    listing = client.get("/account/orders/").content.decode()
    assert "Visa •••• 4242" in listing and "4242424242424242" not in listing


@pytest.mark.clause("QS-7")
def test_an_altered_cart_cookie_is_an_empty_cart(db):
    client = Client()
    add_to_cart(client, "qualityssl-mobile", term="24")
    value = client.cookies["cart"].value
    client.cookies["cart"] = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    assert client.get("/cart/").context["lines"] == []


@pytest.mark.clause("SITE-5")
def test_a_card_problem_is_said_in_danish_on_the_danish_checkout(alice):
    client = customer_client(alice)
    add_to_cart(client, "qualityssl-mobile")
    page = client.get("/da/checkout/")
    response = client.post(
        "/da/checkout/", {**checkout_page(client, page), **card_fields(year="2020")}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Kortet er udløbet." in body and "The card has expired" not in body
