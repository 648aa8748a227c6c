"""Signing in as a customer meets it: an unconfirmed address is named and a new link offered;
the password changes while signed in; the front page greets a signed-in customer."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.comms.delivery import deliver_pending
from tests.conftest import PASSWORD


@pytest.fixture
def waiting(published) -> User:
    return User.objects.create_user(
        "wendy@example.com", PASSWORD, full_name="Wendy", is_active=False
    )


@pytest.mark.clause("SITE-1")
def test_logging_in_before_confirming_says_so_and_offers_a_new_link(waiting):
    client = Client()
    page = client.post("/account/login/", {"username": "wendy@example.com", "password": PASSWORD})
    body = page.content.decode()
    assert "You have not confirmed your e-mail address yet" in body
    assert 'formaction="/account/verify/again/"' in body
    response = client.post("/account/verify/again/", {"email": "wendy@example.com"})
    assert "we have sent it a new link" in response.content.decode()
    deliver_pending()
    [message] = mail.outbox
    assert message.to == ["wendy@example.com"]
    assert "/account/verify/" in message.body
    link = next(word for word in message.body.split() if "/account/verify/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    opened = client.get(f"/{path}")
    assert opened.status_code == 302
    waiting.refresh_from_db()
    assert waiting.is_active is True


def test_a_wrong_password_does_not_reveal_an_unconfirmed_account(waiting):
    body = (
        Client()
        .post("/account/login/", {"username": "wendy@example.com", "password": "not-the-one-1234"})
        .content.decode()
    )
    assert "not confirmed" not in body
    assert "do not match an account" in body


def test_a_new_link_for_an_unknown_address_reads_the_same_and_sends_nothing(published):
    response = Client().post("/account/verify/again/", {"email": "nobody@example.com"})
    assert "we have sent it a new link" in response.content.decode()
    deliver_pending()
    assert mail.outbox == []


@pytest.mark.clause("SITE-1")
def test_a_signed_in_customer_changes_the_password_and_stays_signed_in(alice, published):
    client = Client()
    client.force_login(alice)
    assert "/account/password/" in client.get("/account/").content.decode()
    bad = client.post(
        "/account/password/",
        {
            "old_password": "wrong",
            "new_password1": "a-New-passw0rd",
            "new_password2": "a-New-passw0rd",
        },
    )
    assert bad.status_code == 200
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-New-passw0rd",
            "new_password2": "a-New-passw0rd",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200  # still signed in
    alice.refresh_from_db()
    assert alice.check_password("a-New-passw0rd") is True


def test_the_front_page_greets_a_signed_in_customer(alice, published):
    client = Client()
    assert "Welcome back" not in client.get("/").content.decode()
    client.force_login(alice)
    body = client.get("/").content.decode()
    assert "Welcome back, Alice Andersen" in body
    assert "/account/signup/" not in body.split("<main>")[1]
    danish = client.get("/da/").content.decode()
    assert "Velkommen tilbage, Alice Andersen" in danish
