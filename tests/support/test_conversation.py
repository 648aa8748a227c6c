"""A support ticket as a conversation: staff and customer replies, statuses, assignment,
closing (retention from then) and the e-mail notice in the customer's language; answers to
information requests by e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.comms.delivery import deliver_pending
from keepfaith.consent.selectors import current_choices
from keepfaith.support.models import InformationRequest, SupportMessage, SupportTicket
from keepfaith.support.services import support_purge
from tests.conftest import make_staff, verified_client
from tests.support.test_support import request_data, ticket_data


def open_ticket(client: Client, published) -> SupportTicket:
    client.post("/support/ticket/", ticket_data(published.label))
    return SupportTicket.objects.get()


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.mark.clause("BE-3")
def test_a_staff_reply_answers_the_ticket_and_tells_the_customer_by_mail(
    alice, alice_client, bob, published
):
    ticket = open_ticket(alice_client, published)
    assert ticket.status == "open"
    staff = verified_client(bob)
    response = staff.post(
        f"/console/support/{ticket.reference}/", {"body": "Install the intermediate certificate."}
    )
    assert response.status_code == 302
    deliver_pending()
    ticket.refresh_from_db()
    assert ticket.status == "answered"
    assert ticket.assigned_to == bob  # whoever answers first takes it
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Chain incomplete" in message.subject
    assert "Install the intermediate certificate." in message.body
    assert f"/support/ticket/{ticket.reference}/" in message.body
    page = alice_client.get(f"/support/ticket/{ticket.reference}/").content.decode()
    assert "Install the intermediate certificate." in page
    assert "Answered" in page
    assert "bob@staff.example" not in page  # the customer sees "support", not the agent
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert "support.reply" in actions


@pytest.mark.clause("BE-3")
def test_the_notice_is_in_the_customer_s_language(alice, alice_client, bob, published):
    alice.language = "da"
    alice.save()
    ticket = open_ticket(alice_client, published)
    verified_client(bob).post(
        f"/console/support/{ticket.reference}/", {"body": "Hvilken webserver?", "waiting": "on"}
    )
    deliver_pending()
    [message] = mail.outbox
    assert message.subject.startswith("Vi mangler lidt mere fra dig")
    assert "Læs hele samtalen" in message.body
    assert f"/da/support/ticket/{ticket.reference}/" in message.body  # the page in her language
    ticket.refresh_from_db()
    assert ticket.status == "waiting"


def test_the_customer_replies_and_the_ticket_is_open_again(alice, alice_client, bob, published):
    ticket = open_ticket(alice_client, published)
    verified_client(bob).post(
        f"/console/support/{ticket.reference}/", {"body": "Which server?", "waiting": "on"}
    )
    page = alice_client.get(f"/support/ticket/{ticket.reference}/").content.decode()
    assert "Waiting for you" in page
    response = alice_client.post(
        f"/support/ticket/{ticket.reference}/", {"body": "nginx 1.22 on Debian"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    authors = list(SupportMessage.objects.values_list("author", flat=True))
    assert authors == ["staff", "customer"]
    console = verified_client(bob).get(f"/console/support/{ticket.reference}/").content.decode()
    assert "nginx 1.22 on Debian" in console


@pytest.mark.clause("BE-3")
def test_a_ticket_or_reply_sent_twice_is_kept_once(alice_client, bob, published):
    """A double click or a reload that posts again: one ticket, one reply, one mail. The
    same words sent again later, or other words, are a new message."""
    data = ticket_data(published.label)
    alice_client.post("/support/ticket/", data)
    newsletter = "marketing.communications.email.newsletter"
    ticked = {**data, f"choice.{newsletter}": "on", f"initial-choice.{newsletter}": "False"}
    alice_client.post("/support/ticket/", ticked)  # sent again, the box ticked this time
    [ticket] = SupportTicket.objects.all()
    assert current_choices(subject=ticket.customer_number)[newsletter].status == "given"
    alice_client.post("/support/ticket/", {**data, "browser": "Chromium 131"})
    assert SupportTicket.objects.count() == 2  # other details: another ticket
    SupportTicket.objects.exclude(pk=ticket.pk).delete()
    for _ in range(2):
        alice_client.post(f"/support/ticket/{ticket.reference}/", {"body": "nginx 1.22"})
    staff = verified_client(bob)
    for _ in range(2):
        staff.post(f"/console/support/{ticket.reference}/", {"body": "Which OS?"})
    staff.post(f"/console/support/{ticket.reference}/", {"body": "Which OS?", "waiting": "on"})
    ticket.refresh_from_db()
    assert ticket.status == "waiting"  # the same words, now waiting for the customer: sent
    SupportMessage.objects.filter(pk=SupportMessage.objects.latest("pk").pk).delete()
    deliver_pending()
    bodies = list(SupportMessage.objects.values_list("author", "body"))
    assert bodies == [("customer", "nginx 1.22"), ("staff", "Which OS?")]
    assert len(mail.outbox) == 2
    assert AuditEntry.objects.filter(action="support.reply").count() == 3
    SupportMessage.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    alice_client.post(f"/support/ticket/{ticket.reference}/", {"body": "nginx 1.22"})
    assert SupportMessage.objects.count() == 3  # the same words, much later: said again


@pytest.mark.clause("BE-3")
def test_the_ticket_says_how_long_after_closing_it_is_kept(alice, alice_client, published):
    """The support use's retention in words, from the policy, in the customer's language."""
    ticket = open_ticket(alice_client, published)
    page = alice_client.get(f"/support/ticket/{ticket.reference}/").content.decode()
    assert "We delete it, with your computer configuration, 90 days after closing." in page
    danish = alice_client.get(f"/da/support/ticket/{ticket.reference}/").content.decode()
    assert "90 dage efter lukningen" in danish


def test_an_empty_reply_changes_nothing(alice_client, published):
    ticket = open_ticket(alice_client, published)
    response = alice_client.post(f"/support/ticket/{ticket.reference}/", {"body": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert SupportMessage.objects.count() == 0


def test_another_customer_cannot_read_reply_or_close(alice_client, carol, published):
    ticket = open_ticket(alice_client, published)
    other = Client()
    other.force_login(carol)
    assert other.get(f"/support/ticket/{ticket.reference}/").status_code == 404
    assert other.post(f"/support/ticket/{ticket.reference}/", {"body": "hi"}).status_code == 404
    assert other.post(f"/support/ticket/{ticket.reference}/close/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "open"


@pytest.mark.clause("BE-3")
def test_closing_starts_the_retention_and_purge_deletes_the_conversation(
    alice_client, bob, published
):
    ticket = open_ticket(alice_client, published)
    verified_client(bob).post(f"/console/support/{ticket.reference}/", {"body": "Done?"})
    assert support_purge(now=ticket.created_at + dt.timedelta(days=3650))["support_tickets"] == 0
    alice_client.post(f"/support/ticket/{ticket.reference}/close/")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.expires_at is not None and ticket.closed_at is not None
    assert ticket.expires_at - ticket.closed_at == dt.timedelta(days=90)  # the policy's 90d
    page = alice_client.get(f"/support/ticket/{ticket.reference}/").content.decode()
    assert 'id="reply-form"' not in page
    assert (
        alice_client.post(f"/support/ticket/{ticket.reference}/", {"body": "more"}).status_code
        == 302
    )
    assert SupportMessage.objects.count() == 1  # a closed ticket takes no reply
    counts = support_purge(now=ticket.closed_at + dt.timedelta(days=91))
    assert counts["support_tickets"] == 1
    assert SupportMessage.objects.count() == 0


def test_staff_assign_and_close_from_the_console(alice_client, bob, published):
    ticket = open_ticket(alice_client, published)
    second = make_staff("sam@staff.example", "support")
    staff = verified_client(bob)
    page = staff.get(f"/console/support/{ticket.reference}/").content.decode()
    assert "sam@staff.example" in page
    staff.post(f"/console/support/{ticket.reference}/assign/", {"agent": str(second.pk)})
    ticket.refresh_from_db()
    assert ticket.assigned_to == second
    staff.post(f"/console/support/{ticket.reference}/close/", {"confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.expires_at is not None
    listing = staff.get("/console/support/?status=closed").content.decode()
    assert "Chain incomplete" in listing
    assert "Chain incomplete" not in staff.get("/console/support/?status=open").content.decode()


def test_marketing_staff_cannot_reply(alice_client, mia, published):
    ticket = open_ticket(alice_client, published)
    response = verified_client(mia).post(
        f"/console/support/{ticket.reference}/", {"body": "Buy more"}
    )
    assert response.status_code == 403
    assert SupportMessage.objects.count() == 0


@pytest.mark.clause("BE-3")
def test_an_information_request_is_answered_by_mail_in_its_language(bob, published):
    Client().post("/da/support/request/", request_data(published.label))
    row = InformationRequest.objects.get()
    assert row.language == "da"
    staff = verified_client(bob)
    page = staff.get(f"/console/support/requests/{row.reference}/")
    assert "Do you sell wildcard certificates?" in page.content.decode()
    staff.post(
        f"/console/support/requests/{row.reference}/", {"body": "Ja, fra 1.200 kr. om året."}
    )
    deliver_pending()
    [message] = mail.outbox
    assert message.to == ["visitor@example.org"]
    assert message.subject == "Svar på dit spørgsmål"
    assert "Ja, fra 1.200 kr. om året." in message.body
    row.refresh_from_db()
    assert row.answered_at is not None
    entry = AuditEntry.objects.get(action="support.request.answer")
    assert entry.subject == row.subject_ref


def test_support_home_lists_the_customer_s_tickets(alice_client, published):
    assert Client().get("/support/").status_code == 200
    ticket = open_ticket(alice_client, published)
    page = alice_client.get("/support/").content.decode()
    assert f"/support/ticket/{ticket.reference}/" in page
    assert "Open" in page


def test_the_support_pages_speak_danish(alice_client, published):
    assert "Hvordan kan vi hjælpe?" in Client().get("/da/support/").content.decode()
    ticket = open_ticket(alice_client, published)
    page = alice_client.get(f"/da/support/ticket/{ticket.reference}/").content.decode()
    assert "Luk sagen" in page
    assert "Åben" in page


@pytest.mark.clause("QS-3")
def test_a_request_s_phone_is_read_through_the_gate_and_its_sender_audited(bob, published):
    """The phone number on a request's page is a read of its own (the policy grants support
    the number given on that form); the list audits the requests' senders too."""
    Client().post("/support/request/", request_data(published.label, phone="+45 11 22 33 44"))
    row = InformationRequest.objects.get()
    staff = verified_client(bob)
    assert staff.get("/console/support/").status_code == 200
    listed = AuditEntry.objects.filter(action="console.support.requests").latest("seq")
    assert row.subject_ref in listed.detail["subjects"]
    page = staff.get(f"/console/support/requests/{row.reference}/").content.decode()
    assert "+45 11 22 33 44" in page
    phone_read = AuditEntry.objects.get(action="console.support.request.phone")
    assert phone_read.categories == ["user.contact.phone_number"]
    assert phone_read.subject == row.subject_ref


def test_a_ticket_is_addressed_by_its_reference_never_its_row_number(alice_client, bob, published):
    """A row number in the address bar tells a customer how many tickets exist; the customer
    page, the console page and the mail's link use the ticket's random reference."""
    response = alice_client.post("/support/ticket/", ticket_data(published.label))
    ticket = SupportTicket.objects.get()
    assert response["Location"] == f"/support/ticket/{ticket.reference}/"
    assert alice_client.get(f"/support/ticket/{ticket.pk}/").status_code == 404
    staff = verified_client(bob)
    assert staff.get(f"/console/support/{ticket.pk}/").status_code == 404
    listing = staff.get("/console/support/").content.decode()
    assert f'href="/console/support/{ticket.reference}/"' in listing
    staff.post(f"/console/support/{ticket.reference}/", {"body": "Which server?"})
    deliver_pending()
    (message,) = mail.outbox
    assert f"/support/ticket/{ticket.reference}/" in message.body


@pytest.mark.clause("QS-4")
def test_a_reply_goes_to_the_address_the_customer_confirmed_since_the_ticket(
    alice, alice_client, bob, published
):
    """The ticket kept the login address it was opened with; after a confirmed change the
    reply went to the old one, which may no longer be hers."""
    from keepfaith.accounts.services import email_change_confirm, email_change_request

    ticket = open_ticket(alice_client, published)
    outcome = email_change_request(customer=alice, new_email="alice.new@example.com")
    assert outcome.token is not None
    email_change_confirm(token=outcome.token)
    staff = verified_client(bob)
    page = staff.get(f"/console/support/{ticket.reference}/").content.decode()
    assert "alice.new@example.com" in page and "since changed" in page
    staff.post(f"/console/support/{ticket.reference}/", {"body": "Which server?"})
    deliver_pending()
    (message,) = [m for m in mail.outbox if "Which server?" in m.body]
    assert message.to == ["alice.new@example.com"]
