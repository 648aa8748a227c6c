"""Every e-mail to a customer in the language their account remembers, with links that open
the pages in that language (SITE-5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.emails import page_url


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
    order = {"number": "O-1"}
    assert page_url("portal:order", "da", **order) == "https://shop.example/da/account/orders/O-1/"
    assert page_url("portal:order", "en", **order) == "https://shop.example/account/orders/O-1/"


@pytest.mark.clause("SITE-5")
def test_every_link_in_account_mail_is_on_the_public_address(alice, published, settings):
    """However the request reached the site (here as ``testserver``), a link in a mail is on
    KEEPFAITH_PUBLIC_URL, in the reader's language."""
    settings.PUBLIC_URL = "https://shop.example"
    alice.language = "da"
    alice.save(update_fields=["language"])
    client = Client()
    client.post("/account/password/reset/", {"email": alice.email})
    signup = {
        "full_name": "Nina",
        "password1": "a long enough secret phrase",
        "password2": "a long enough secret phrase",
        "shown_policy_version": published.label,
    }
    client.post("/account/signup/", {**signup, "email": "nina@example.com"})
    client.post("/account/signup/", {**signup, "email": alice.email})  # has an account
    client.post("/account/verify/again/", {"email": "nina@example.com"})
    deliver_pending()
    bodies = [str(m.body) for m in mail.outbox]
    assert len(bodies) == 4, [m.subject for m in mail.outbox]
    links = [link for body in bodies for link in re.findall(r"https?://[^\s\"'<>]+", body)]
    site_links = [link for link in links if "/account/" in link]
    assert len(site_links) >= 5, links
    assert all(link.startswith("https://shop.example/") for link in site_links), site_links
    assert "testserver" not in "".join(bodies)
    to_alice = [str(m.body) for m in mail.outbox if m.to == [alice.email]]
    assert all("https://shop.example/da/account/" in body for body in to_alice), to_alice


@pytest.mark.clause("QS-5")
def test_no_one_time_link_is_kept_once_its_mail_is_sent(alice, published, settings):
    """A reset or verification link kept in the outbox would open the account to whoever
    reads the database or a backup: the mail goes out with it, the stored copy does not keep
    it. Other mail keeps its text (a receipt, an answer)."""
    from keepfaith.comms.delivery import ONE_TIME_REMOVED
    from keepfaith.comms.models import OutboxMessage

    settings.PUBLIC_URL = "https://shop.example"
    client = Client()
    client.post("/account/password/reset/", {"email": alice.email})
    client.post(
        "/account/signup/",
        {
            "full_name": "Nina",
            "email": "nina@example.com",
            "password1": "a long enough secret phrase",
            "password2": "a long enough secret phrase",
            "shown_policy_version": published.label,
        },
    )
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert len(rows) == 2 and all(row.one_time for row in rows)
    deliver_pending()
    sent = [str(m.body) for m in mail.outbox]
    assert all("https://shop.example/account/" in body for body in sent), sent
    for row in OutboxMessage.objects.all():
        assert row.status == "sent"
        assert (row.text_body, row.html_body) == (ONE_TIME_REMOVED, "")
        assert "shop.example" not in row.subject
        # nor in its key: "password-reset:<id>:<token>" rebuilt the link (a hash now)
        assert row.idempotency_key.startswith("one-time:") and ":" not in row.idempotency_key[9:]
    for link in re.findall(r"https://shop\.example/account/\S+", " ".join(sent)):
        token = link.rstrip("/").rsplit("/", 1)[-1]
        assert not OutboxMessage.objects.filter(idempotency_key__contains=token).exists()


@pytest.mark.clause("SITE-5")
def test_the_account_page_says_which_language_mail_is_in_and_offers_the_page_s(alice, published):
    """Receipts follow the account's language; a customer who signed in on the Danish pages
    while the account said English got English mail, and nothing said why or how to change."""
    client = Client()
    client.force_login(alice)
    english = client.get("/account/").content.decode()
    assert "in English" in english and "Write to me in" not in english
    danish = client.get("/da/account/").content.decode()
    assert "på engelsk" in danish and 'value="da">Skriv til mig på dansk</button>' in danish
    client.post("/language/", {"language": "da", "next": "/da/account/"})
    alice.refresh_from_db()
    assert alice.language == "da"
    assert "Skriv til mig på" not in client.get("/da/account/").content.decode()


def test_one_time_rows_queued_before_lose_their_token_and_link(db):
    """Rows sent before the change still held the link (body) and the token (key)."""
    import importlib

    from django.apps import apps

    from keepfaith.comms.delivery import ONE_TIME_REMOVED
    from keepfaith.comms.models import OutboxMessage

    migration = importlib.import_module("keepfaith.comms.migrations.0008_one_time_rows_kept_before")

    def row(key: str, status: str) -> OutboxMessage:
        return OutboxMessage.objects.create(
            idempotency_key=key, kind="transactional", recipient="KF-1", to_address="a@b.example",
            subject="s", text_body="https://shop.example/account/password/reset/MQ/tok-123/",
            status=status,
        )  # fmt: skip

    sent = row("password-reset:1:tok-123", "sent")
    queued = row("verify:2:tok-456", "queued")
    receipt = row("receipt:O-1", "sent")
    migration.forward(apps, None)
    for kept in (sent, queued, receipt):
        kept.refresh_from_db()
    assert sent.one_time and sent.idempotency_key.startswith("one-time:")
    assert "tok-123" not in sent.idempotency_key and sent.text_body == ONE_TIME_REMOVED
    assert queued.one_time and "tok-456" not in queued.idempotency_key
    assert "tok-123" in queued.text_body  # not sent yet: it still has to go out
    assert receipt.idempotency_key == "receipt:O-1" and not receipt.one_time
