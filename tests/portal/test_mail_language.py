"""Every e-mail to a customer in the language their account remembers, with links that open
the pages in that language (SITE-5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.emails import site_url


@pytest.mark.clause("SITE-5")
def test_a_password_reset_asked_on_an_english_page_comes_in_the_account_language(alice, published):
    alice.language = "da"
    alice.save(update_fields=["language"])
    Client().post("/account/password/reset/", {"email": alice.email})
    deliver_pending()
    [message] = mail.outbox
    body = str(message.body)
    assert "adgangskode" in body.lower()
    found = re.search(r"https?://\S+/da/account/password/reset/[^/\s]+/[^/\s]+/", body)
    assert found is not None, body


@pytest.mark.clause("SITE-5")
def test_a_signup_with_a_registered_address_answers_in_the_owner_language(alice, published):
    alice.language = "da"
    alice.is_active = True
    alice.save(update_fields=["language", "is_active"])
    client = Client()
    version = published.label
    client.post(
        "/account/signup/",
        {
            "email": alice.email,
            "full_name": "Someone",
            "password1": "a long enough secret phrase",
            "password2": "a long enough secret phrase",
            "shown_policy_version": version,
        },
    )
    deliver_pending()
    [message] = mail.outbox
    assert "/da/account/login/" in str(message.body), message.body


def test_site_links_carry_the_language_prefix(settings):
    settings.PUBLIC_URL = "https://shop.example"
    assert site_url("/account/orders/O-1/", "da") == "https://shop.example/da/account/orders/O-1/"
    assert site_url("/account/orders/O-1/", "en") == "https://shop.example/account/orders/O-1/"
