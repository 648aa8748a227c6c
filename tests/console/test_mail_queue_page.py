"""The opt-out mail queue page (BE-9): the message itself as plain text (never its HTML), the
customer it may be from, and a decision per kind of mail."""

from __future__ import annotations

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
