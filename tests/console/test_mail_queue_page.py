"""The opt-out mail queue page (BE-9): the message itself as plain text (never its HTML), the
customer it may be from, and a decision per kind of mail."""

from __future__ import annotations

from typing import Any

import pytest

from keepfaith.comms.receiving import inbound_process, inbound_store
from keepfaith.consent.selectors import current_choices
from tests.comms.conftest import make_customer
from tests.comms.mailbuild import customer_mail
from tests.conftest import verified_client

pytestmark = [pytest.mark.clause("BE-9")]


def test_the_message_is_shown_safely_with_its_likely_customer_and_kinds(published, pat):
    hans = make_customer("hans@example.com")
    raw = customer_mail(
        sender="Hans <hans@example.com>",
        to="someone@else.example",  # not to our address: it waits for a person
        subject="Please stop",
        body="No more newsletters <script>alert(1)</script>",
    )
    row, _ = inbound_store(raw=raw, origin="test")
    inbound_process(message_id=row.pk)
    page = verified_client(pat).get("/console/mail/queue/").content.decode()
    assert "No more newsletters &lt;script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert f'value="{hans.customer_number}"' in page  # the sender's customer, suggested
    assert 'name="kinds" value="newsletter"' in page
    verified_client(pat).post(
        f"/console/mail/queue/{row.queue.pk}/",
        {"decision": "apply", "customer": hans.customer_number, "kinds": ["newsletter"]},
    )
    choices = current_choices(subject=hans.subject_ref)
    assert choices["marketing.communications.email.newsletter"].status == "opted-out"
    assert choices["marketing.communications.email"].status == "given"  # only the kind ticked


def stranger_s_opt_out() -> Any:
    """An opt-out mail from an address no customer has: it waits in the staff queue."""
    raw = customer_mail(sender="Stranger <nobody@example.org>", to="someone@else.example",
                        subject="stop", body="Please stop sending me mail.")  # fmt: skip
    row, _ = inbound_store(raw=raw, origin="test")
    inbound_process(message_id=row.pk)
    return row.queue


@pytest.mark.clause("BE-9")
def test_an_unknown_customer_number_is_said_in_words_and_the_form_keeps_its_values(published, pat):
    item = stranger_s_opt_out()
    client = verified_client(pat)
    response = client.post(
        f"/console/mail/queue/{item.pk}/",
        {"decision": "apply", "customer": "KF-NOTREAL-1", "kinds": ["newsletter"],
         "note": "asked by phone"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is no customer with the number KF-NOTREAL-1." in page
    assert 'value="KF-NOTREAL-1"' in page and 'value="asked by phone"' in page
    assert 'value="newsletter" checked' in page
    item.refresh_from_db()
    assert item.status == "open"


@pytest.mark.clause("BE-9")
def test_a_decision_is_confirmed_and_decided_items_say_what_happened_in_words(published, pat):
    """Deciding said nothing, and a decided item showed the raw status ("applied by ..."),
    English in the Danish console too; the form's address opened was a bare 405."""
    hans = make_customer("hans@example.com")
    items = []
    for subject in ("stop one", "stop two"):
        raw = customer_mail(sender="Hans <hans@example.com>", to="someone@else.example",
                            subject=subject, body="Please stop.")  # fmt: skip
        row, _ = inbound_store(raw=raw, origin="test")
        inbound_process(message_id=row.pk)
        items.append(row.queue)
    client = verified_client(pat)
    opened = client.get(f"/console/mail/queue/{items[0].pk}/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/console/mail/queue/#item-{items[0].pk}"
    assert client.get("/console/mail/queue/999999/").status_code == 302
    applied = client.post(
        f"/console/mail/queue/{items[0].pk}/",
        {"decision": "apply", "customer": hans.customer_number},
        follow=True,
    ).content.decode()
    assert f"Opt-out applied for customer {hans.customer_number}." in applied
    dismissed = client.post(
        f"/console/mail/queue/{items[1].pk}/", {"decision": "dismiss"}, follow=True
    ).content.decode()
    assert "Message dismissed: no one&#x27;s choices were changed." in dismissed
    page = client.get("/console/mail/queue/?all=1").content.decode()
    assert "Opt-out applied by pat@staff.example on " in page
    assert "Dismissed by pat@staff.example on " in page
    assert ">applied by pat" not in page and ">dismissed by pat" not in page
    pat.language = "da"
    pat.save()
    danish = client.get("/console/mail/queue/?all=1").content.decode()
    assert "Afmelding gennemført af pat@staff.example" in danish
    assert "Afvist af pat@staff.example" in danish


@pytest.mark.clause("BE-9")
def test_a_post_without_a_decision_decides_nothing(published, pat):
    """Only the two buttons decide: a post cut short (no decision) used to dismiss."""
    item = stranger_s_opt_out()
    for decision in ({}, {"decision": "whatever"}):
        response = verified_client(pat).post(
            f"/console/mail/queue/{item.pk}/", {"note": "half a form", **decision}
        )
        assert response.status_code == 400
        assert "Choose “Opt out” or “Dismiss” for this message." in response.content.decode()
        item.refresh_from_db()
        assert item.status == "open"
