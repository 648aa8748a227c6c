"""The login address changes only once the new one is confirmed (issue 15.4, SITE-1, QS-4).

Before: a new address on /account/contact/ became the login at once, with no password asked
and no notice, so anyone at an unlocked session could take the account over through "lost
password".
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from keepfaith.accounts.models import ContactDetailsChange, EmailChangeRequest
from keepfaith.accounts.services import EmailChangeFailed, email_change_confirm
from keepfaith.comms.delivery import deliver_pending
from tests.conftest import PASSWORD

NEW = "alice.new@example.com"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contact_post(client: Client, published, **fields) -> Any:
    data = {
        "full_name": "Alice Andersen",
        "email": "alice@example.com",
        "shown_policy_version": published.label,
        **fields,
    }
    response = client.post("/account/contact/", data)
    deliver_pending()  # the outbox, as the mail worker sends it (here after the test's commit)
    return response


def can_log_in(address: str) -> bool:
    response = Client().post("/account/login/", {"username": address, "password": PASSWORD})
    return response.status_code == 302


def confirm_link() -> str:
    [message] = [m for m in mail.outbox if m.to == [NEW]]
    found = re.search(r"https?://\S+/account/email/confirm/\S+/", str(message.body))
    assert found is not None, message.body
    return urlsplit(found.group(0)).path


@pytest.mark.clause("SITE-1")
@pytest.mark.clause("QS-4")
def test_a_new_address_needs_the_current_password(alice, published):
    client = signed_in(alice)
    missing = contact_post(client, published, email=NEW)
    wrong = contact_post(client, published, email=NEW, current_password="not it at all")
    for response in (missing, wrong):
        assert response.status_code == 200
        assert "current password" in response.content.decode().lower()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert EmailChangeRequest.objects.exists() is False
    assert mail.outbox == []


@pytest.mark.clause("SITE-1")
@pytest.mark.clause("QS-4")
def test_the_old_address_stays_the_login_until_the_new_one_confirms(alice, published):
    client = signed_in(alice)
    response = contact_post(client, published, email=NEW, current_password=PASSWORD)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not yet
    assert ContactDetailsChange.objects.filter(field="email").exists() is False
    assert can_log_in("alice@example.com") is True
    assert can_log_in(NEW) is False

    notice = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(notice) == 1 and NEW in str(notice[0].body)
    assert "/account/email/confirm/" not in str(notice[0].body)  # the link goes to NEW only
    page = client.get("/account/contact/").content.decode()
    assert 'id="pending-email-change"' in page and NEW in page

    link = confirm_link()
    assert Client().get(link).status_code == 200  # a mail scanner opening it changes nothing
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    done = Client().post(link)
    assert done.status_code == 200 and NEW in done.content.decode()
    alice.refresh_from_db()
    assert alice.email == NEW
    change = ContactDetailsChange.objects.get(field="email")
    assert (change.old, change.new) == ("alice@example.com", NEW)
    assert can_log_in(NEW) is True
    assert can_log_in("alice@example.com") is False
    assert Client().post(link).status_code == 400  # works once


def test_a_forged_or_expired_link_changes_nothing(alice, published, monkeypatch):
    contact_post(signed_in(alice), published, email=NEW, current_password=PASSWORD)
    link = confirm_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert Client().post(f"/account/email/confirm/{forged}/").status_code == 400
    with pytest.raises(EmailChangeFailed):
        email_change_confirm(token="1.abc:1:xyz")
    import time

    later = time.time() + 4 * 86400
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert Client().post(link).status_code == 400  # older than three days
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_a_newer_request_replaces_the_older_and_cancel_withdraws(alice, published):
    client = signed_in(alice)
    contact_post(client, published, email=NEW, current_password=PASSWORD)
    first = confirm_link()
    mail.outbox.clear()
    contact_post(client, published, email="alice.other@example.com", current_password=PASSWORD)
    assert Client().post(first).status_code == 400  # replaced
    assert EmailChangeRequest.objects.get().new_email == "alice.other@example.com"
    client.post("/account/email/cancel/")
    assert EmailChangeRequest.objects.exists() is False
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


@pytest.mark.clause("QS-4")
def test_an_address_with_an_account_gets_no_link_but_a_notice(alice, carol, published):
    contact_post(signed_in(alice), published, email="CAROL@example.com", current_password=PASSWORD)
    [to_carol] = [m for m in mail.outbox if m.to == ["carol@example.com"]]
    assert "/account/email/confirm/" not in str(to_carol.body)
    assert "already belongs to an account" in str(to_carol.body)
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_the_mails_are_in_the_customer_s_language(alice, published):
    alice.language = "da"
    alice.save(update_fields=["language"])
    contact_post(signed_in(alice), published, email=NEW, current_password=PASSWORD)
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[NEW] == "Bekræft din nye e-mailadresse"
    assert subjects["alice@example.com"] == "Der er bedt om en ny login-adresse til din konto"
    for message in mail.outbox:
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        assert "List-Unsubscribe" not in message.extra_headers


@pytest.mark.clause("QS-3")
def test_password_guesses_on_the_contact_page_are_throttled(alice, published):
    client = signed_in(alice)
    statuses = [
        contact_post(client, published, email=NEW, current_password=f"guess {i}").status_code
        for i in range(6)
    ]
    assert statuses[-1] == 429
    assert contact_post(client, published, email=NEW, current_password=PASSWORD).status_code == 429
    assert EmailChangeRequest.objects.exists() is False


def test_an_unconfirmed_change_is_deleted_once_its_link_expired(alice, published):
    from datetime import timedelta

    from django.utils import timezone

    from keepfaith.accounts.services import email_change_purge

    contact_post(signed_in(alice), published, email=NEW, current_password=PASSWORD)
    assert email_change_purge(now=timezone.now()) == 0
    assert email_change_purge(now=timezone.now() + timedelta(days=3, seconds=1)) == 1
    assert EmailChangeRequest.objects.exists() is False
