"""Information requests and support tickets: collection, retention, staff view, purge."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from keepfaith.audit.models import AuditEntry
from keepfaith.consent.models import ConsentEvent
from keepfaith.support.models import InformationRequest, SupportTicket
from keepfaith.support.services import support_purge
from tests.conftest import verified_client

NEWSLETTER = "marketing.communications.email.newsletter"
CONFIG_FIELDS = ("operating_system", "browser", "software_versions")


def request_data(version_label: str, **extra: str) -> dict[str, str]:
    return {
        "email": "visitor@example.org",
        "name": "Vera Visitor",
        "question": "Do you sell wildcard certificates?",
        "shown_policy_version": version_label,
        **extra,
    }


def ticket_data(version_label: str) -> dict[str, str]:
    return {
        "email": "alice@example.com",
        "name": "Alice Andersen",
        "summary": "Chain incomplete",
        "description": "Browsers say the chain is incomplete.",
        "operating_system": "Debian 12",
        "browser": "Firefox 128",
        "software_versions": "nginx 1.22",
        "shown_policy_version": version_label,
    }


@pytest.mark.feature("collection.information-request")
@pytest.mark.clause("SITE-3")
@pytest.mark.clause("BE-2")
def test_an_anonymous_information_request_leaves_no_session_and_only_the_csrf_cookie(published):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/support/request/")
    assert page.status_code == 200
    assert set(client.cookies) == {"csrftoken"}
    body = page.content.decode()
    assert "What we collect here" in body
    for field in CONFIG_FIELDS:
        assert f'name="{field}"' not in body  # computer configuration only for support (BE-3)
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/support/request/", {**request_data(published.label), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/support/request/sent/"
    assert set(client.cookies) == {"csrftoken"}
    assert "sessionid" not in response.cookies
    from django.contrib.sessions.models import Session

    assert Session.objects.count() == 0
    [row] = InformationRequest.objects.all()
    assert row.expires_at is not None
    assert row.expires_at - row.created_at == dt.timedelta(days=365)  # the use's retention: 1y
    events = ConsentEvent.objects.filter(subject=f"request:{row.reference}")
    # The newsletter reaches established customers only (its use's audience): a visitor is
    # not offered a choice that would reach nobody, nor recorded as having made one.
    assert f"choice.{NEWSLETTER}" not in body
    assert {(e.key, e.event) for e in events} == {
        ("essential.service.operations.information_request", "notice-acknowledged"),
    }
    assert {e.policy_version_id for e in events} == {published.pk}


@pytest.mark.clause("SITE-3")
@pytest.mark.clause("BE-9")
def test_a_signed_in_customer_s_request_choices_go_to_their_record(alice, published):
    client = Client()
    client.force_login(alice)
    page = client.get("/support/request/").content.decode()
    assert "alice@example.com" in page
    assert f'name="choice.{NEWSLETTER}"' in page  # a customer is in the newsletter's audience
    # the box showed "on" (she never declined the newsletter); she unticks it
    shown = {f"initial-choice.{NEWSLETTER}": "True"}
    client.post("/support/request/", request_data(published.label, **shown))
    row = InformationRequest.objects.get()
    assert not hasattr(row, "customer")  # the point does not declare the customer number
    event = ConsentEvent.objects.get(subject=alice.customer_number, key=NEWSLETTER)
    assert event.event == "opted-out"
    assert event.evidence["request"] == row.reference


@pytest.mark.feature("collection.support-ticket")
@pytest.mark.clause("BE-3")
@pytest.mark.clause("SITE-3")
def test_a_ticket_keeps_the_configuration_for_the_support_retention(alice, published):
    client = Client()
    client.force_login(alice)
    assert client.get("/support/ticket/").status_code == 200
    response = client.post("/support/ticket/", ticket_data(published.label))
    ticket = SupportTicket.objects.get()
    assert response["Location"] == f"/support/ticket/{ticket.reference}/"
    assert ticket.customer_number == alice.customer_number
    assert (ticket.operating_system, ticket.browser) == ("Debian 12", "Firefox 128")
    assert ticket.expires_at is None  # an open conversation: the clock starts at closing
    gate = AuditEntry.objects.filter(subject=alice.customer_number, outcome="allowed")
    assert gate.filter(use="essential.service.operations.support").exists() is True
    assert "nginx 1.22" in client.get(response["Location"]).content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in_for_a_ticket(published):
    response = Client().get("/support/ticket/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


@pytest.mark.clause("BE-3")
def test_support_staff_see_tickets_in_the_console_and_each_read_is_audited(
    alice, bob, mia, published
):
    client = Client()
    client.force_login(alice)
    client.post("/support/ticket/", ticket_data(published.label))
    ticket = SupportTicket.objects.get()
    staff = verified_client(bob)
    listing = staff.get("/console/support/")
    assert listing.status_code == 200
    assert "Chain incomplete" in listing.content.decode()
    detail = staff.get(f"/console/support/{ticket.reference}/")
    assert "Firefox 128" in detail.content.decode()
    reads = AuditEntry.objects.filter(actor="bob@staff.example", action="console.support.ticket")
    assert reads.get().subject == alice.customer_number
    assert verified_client(mia).get(f"/console/support/{ticket.reference}/").status_code == 403
    assert Client().get("/console/support/").status_code == 302


@pytest.mark.clause("BE-3")
def test_purge_deletes_what_is_past_its_time_and_audits_the_counts(alice, published):
    client = Client()
    client.force_login(alice)
    client.post("/support/ticket/", ticket_data(published.label))
    client.post("/support/request/", request_data(published.label))
    ticket = SupportTicket.objects.get()
    client.post(f"/support/ticket/{ticket.reference}/close/")  # closed at once: 90 days from now
    ticket.refresh_from_db()
    assert support_purge(now=ticket.created_at + dt.timedelta(days=89)) == {
        "information_requests": 0,
        "support_tickets": 0,
    }
    counts = support_purge(now=ticket.created_at + dt.timedelta(days=91))
    assert counts == {"information_requests": 0, "support_tickets": 1}
    assert InformationRequest.objects.count() == 1
    counts = support_purge(now=ticket.created_at + dt.timedelta(days=366))
    assert counts == {"information_requests": 1, "support_tickets": 0}
    entries = AuditEntry.objects.filter(action="support.purge").order_by("seq")
    assert [e.detail["support_tickets"] for e in entries] == [0, 1, 0]


def test_the_purge_command_states_its_rule_and_runs(published):
    out = io.StringIO()
    call_command("support", "purge", stdout=out)
    assert "purged 0 information requests and 0 support tickets" in out.getvalue()
    from keepfaith.support.management.commands.support import Command

    assert "retention ran" in Command.help
    assert "technical support, counted from closing" in Command.help
