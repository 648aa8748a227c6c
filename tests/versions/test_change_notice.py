"""A published change is announced: a service e-mail to every customer in their language,
once each, and a notice on the site until closed (BE-11). The statement promises both."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from keepfaith.accounts.models import User
from keepfaith.audit.models import AuditEntry
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import OutboxMessage
from keepfaith.demo import earlier_policy_text
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import date_words
from keepfaith.versions.services import policy_publish

BE = Path("examples/qualityssl/policy.yaml")


def publish_earlier_then_current() -> str:
    earlier = earlier_policy_text(BE.read_text(encoding="utf-8")) or ""
    policy_publish(source=earlier, source_name="earlier")
    out = StringIO()
    call_command("policy", "publish", str(BE), stdout=out)
    return out.getvalue()


@pytest.mark.feature("changes.notify.email")
@pytest.mark.clause("BE-11")
def test_publishing_a_change_mails_every_customer_once_in_their_language(db):
    User.objects.create_user("anna@example.com", "x" * 20, language="da")
    User.objects.create_user("bo@example.com", "x" * 20, language="en")
    User.objects.create_user("new@example.com", "x" * 20, is_active=False)  # not verified
    printed = publish_earlier_then_current()
    assert "change notice of 2024.1 queued for 2 customer(s)" in printed
    rows = OutboxMessage.objects.filter(idempotency_key__startswith="policy-change:2024.1:")
    assert rows.count() == 2
    again = StringIO()
    call_command("policy", "notify", stdout=again)  # resumable: nothing twice
    assert "queued for 0 customer(s)" in again.getvalue()
    assert deliver_pending() == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert (
        by_address["anna@example.com"].subject
        == "Vores privatlivspolitik er ændret (version 2024.1)"
    )
    english = by_address["bo@example.com"]
    assert "/privacy/updates/" in english.body and "/da/privacy/updates/" not in english.body
    danish = str(by_address["anna@example.com"].body)
    assert "/da/privacy/updates/" in danish and "Dette er ændret:" in danish
    assert (
        "Full IP addresses in our web server logs: kept 7 days (before: 14 days)." in english.body
    )
    assert "List-Unsubscribe" not in english.extra_headers
    assert AuditEntry.objects.filter(action="comms.policy_change.queue").count() == 2
    assert AuditEntry.objects.filter(action="gate.check", outcome="allowed").count() == 2


@pytest.mark.feature("changes.notify.banner")
@pytest.mark.clause("BE-11")
def test_the_site_shows_the_change_notice_until_closed(db):
    client = Client()
    assert "policy-notice" not in client.get("/").content.decode()  # nothing published yet
    publish_earlier_then_current()
    page = client.get("/privacy/")
    assert 'id="policy-notice"' in page.content.decode()
    assert not page.cookies  # showing it sets nothing
    # published today for 1 January 2024: the change reached the site today, not in 2024
    today = date_format(timezone.localdate(), "DATE_FORMAT")
    assert f"Our privacy statement changed on {today} (version 2024.1)" in page.content.decode()
    # and the statement itself says it is in force from that day, not from 2024
    assert f"Published version 2024.1, in force since {today}." in page.content.decode()
    since = date_words(timezone.localdate().isoformat(), "en")
    assert f"Version 2024.1, in force from {since}." in in_force().statement_html("en")
    closed = client.post(
        "/privacy/updates/close/", {"next": "/privacy/"}, HTTP_ORIGIN="http://testserver"
    )
    assert closed.status_code == 302 and closed["Location"] == "/privacy/"
    assert closed.cookies["kf_notice"].value == "2024.1"
    assert 'id="policy-notice"' not in client.get("/privacy/").content.decode()
    refused = Client().post("/privacy/updates/close/", HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    updates = Client().get("/privacy/updates/").content.decode()
    assert f"in force from {today}, published" in updates  # the day it reached the site


@pytest.mark.clause("BE-11")
def test_a_customer_who_joined_since_the_change_is_not_told_it_changed(db):
    """She accepted the version in force when she signed up: there is no earlier text she
    knew (found telling new customers 'our statement changed')."""
    publish_earlier_then_current()
    old = User.objects.create_user("old@example.com", "x-correct-horse-7")
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - dt.timedelta(days=400))
    new = User.objects.create_user("new@example.com", "x-correct-horse-7")
    for user, told in ((old, True), (new, False)):
        client = Client()
        client.force_login(user)
        assert ('id="policy-notice"' in client.get("/privacy/").content.decode()) is told


@pytest.mark.clause("BE-11")
def test_the_statement_promises_what_publishing_does(db):
    from keepfaith.policy.render import statement

    text = statement(in_force().policy).section("changes").text
    assert "by e-mail" in text and "with a notice on our sites" in text
