"""A NUL character in an address or a form is refused with the site's 400 page, before any
view reads it: PostgreSQL refuses NUL in a query, so a value read by hand (a reference in
the path, a search, a hidden field) gave a 500 there (QS-3, from a security probe)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import verified_client

pytestmark = [pytest.mark.clause("QS-3")]


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", "/privacy/request/confirm/", {"ref": "DSR-\x00"}),
        ("post", "/account/verify/again/", {"email": "a\x00@example.com"}),
        ("get", "/shop/", {"q": "a\x00b"}),
        ("get", "/account/orders/O-%00/", {}),
    ],
)
def test_anyone_gets_a_400_page(published, method, url, data):
    response = getattr(Client(), method)(url, data)
    assert response.status_code == 400
    assert "<html" in response.content.decode()


def test_a_customer_and_staff_get_a_400_page(published, alice, bob, pat):
    customer = Client()
    customer.force_login(alice)
    for url in ("/account/orders/O-%00/", "/support/ticket/%00/", "/account/privacy/DSR-%00/"):
        assert customer.get(url).status_code == 400, url
    support = verified_client(bob)
    assert support.get("/console/customers/", {"q": "a\x00b"}).status_code == 400
    assert support.get("/console/support/%00/").status_code == 400
    privacy = verified_client(pat)
    assert privacy.get("/console/rights/DSR-%00/").status_code == 400
    assert privacy.post("/console/mail/queue/1/", {"note": "a\x00b"}).status_code == 400


def test_text_without_nul_is_untouched(published, alice):
    customer = Client()
    customer.force_login(alice)
    page = customer.get("/account/orders/O-NONE/")
    assert page.status_code == 404


def test_a_session_cookie_holding_nul_is_a_400_page_not_a_database_error(published):
    """A quoted cookie value may spell NUL (``"\\000..."``): the session key read from it
    went to the database, which PostgreSQL refuses (a 500 on nearly every page)."""
    client = Client()
    client.cookies["sessionid"] = "\x00abcdefghijkl"
    assert client.get("/shop/").status_code == 400
