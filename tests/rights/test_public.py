"""Requests without signing in: matched to an account and confirmed by a code mailed to the
account's address; unmatched or unconfirmed ones go to the privacy officer (RIGHTS-12)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.comms.delivery import deliver_pending
from keepfaith.comms.models import OutboxMessage
from keepfaith.rights.models import RightsRequest
from keepfaith.rights.services import CODE_ATTEMPTS


def _ask(client: Client, email: str, kind: str = "access") -> str:
    response = client.post("/privacy/request/", {"email": email, "kind": kind})
    assert response.status_code == 302
    return response["Location"].split("ref=")[1]


def _code(reference: str) -> str:
    """The code from the mail as it went out (the outbox keeps no copy of it once sent)."""
    deliver_pending()
    [sent] = [m for m in mail.outbox if reference in m.subject]
    match = re.search(r"^\s{4}([A-Z0-9]{8})$", str(sent.body), re.M)
    assert match is not None, sent.body
    return match.group(1)


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.feature("rights.request.code")
def test_a_code_mailed_to_the_account_confirms_the_request_once(alice: User) -> None:
    client = Client()
    ref = _ask(client, "Alice@Example.com")
    req = RightsRequest.objects.get(reference=ref)
    assert req.state == "awaiting-code" and req.customer == alice
    code = _code(ref)
    assert OutboxMessage.objects.get(subject__contains=ref).to_address == "alice@example.com"
    assert code not in req.code_hash
    done = client.post("/privacy/request/confirm/", {"ref": ref, "code": code})
    assert done.status_code == 200
    req.refresh_from_db()
    assert req.state == "open"
    page = done.content.decode()  # being handled: the page must not say the copy is ready
    assert "You can follow it on your account" in page and "is ready" not in page
    again = client.post("/privacy/request/confirm/", {"ref": ref, "code": code})
    assert again.status_code == 400
    assert "already used" in again.content.decode()


@pytest.mark.clause("RIGHTS-12")
def test_an_unknown_address_gets_the_same_page_and_goes_to_the_queue(db: None) -> None:
    client = Client()
    ref = _ask(client, "nobody@example.org")
    page = client.get(f"/privacy/request/confirm/?ref={ref}")
    assert "If the address belongs to an account" in page.content.decode()
    req = RightsRequest.objects.get(reference=ref)
    assert req.state == "queued" and req.customer is None
    deliver_pending()
    assert not OutboxMessage.objects.filter(to_address="nobody@example.org").exists()


@pytest.mark.clause("RIGHTS-12")
def test_a_late_code_sends_the_request_to_the_queue(alice: User) -> None:
    client = Client()
    ref = _ask(client, "alice@example.com")
    code = _code(ref)
    RightsRequest.objects.filter(reference=ref).update(
        code_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    late = client.post("/privacy/request/confirm/", {"ref": ref, "code": code})
    assert late.status_code == 400
    assert "expired" in late.content.decode()
    assert RightsRequest.objects.get(reference=ref).state == "queued"


@pytest.mark.clause("RIGHTS-12")
def test_guessing_codes_ends_in_the_queue(alice: User) -> None:
    client = Client()
    ref = _ask(client, "alice@example.com")
    for _ in range(CODE_ATTEMPTS):
        client.post("/privacy/request/confirm/", {"ref": ref, "code": "WRONG123"})
    assert RightsRequest.objects.get(reference=ref).state == "queued"


def test_bad_input_is_a_clear_error(db: None) -> None:
    client = Client()
    response = client.post("/privacy/request/", {"email": "not-an-address", "kind": "access"})
    assert response.status_code == 400
    response = client.post("/privacy/request/", {"email": "a@example.com", "kind": "nonsense"})
    assert response.status_code == 400
    assert RightsRequest.objects.count() == 0


@pytest.mark.clause("RIGHTS-12")
def test_asking_twice_sends_one_code(alice: User) -> None:
    client = Client()
    first = _ask(client, "alice@example.com")
    second = _ask(client, "alice@example.com")
    assert first == second
    deliver_pending()
    assert OutboxMessage.objects.filter(to_address="alice@example.com").count() == 1


@pytest.mark.clause("RIGHTS-12")
def test_the_mails_lead_back_to_the_page_where_the_request_goes_on(alice: User, settings) -> None:
    """The code mail links the page where the code is entered; the closing mail links the
    request on the account's privacy page (in the customer's language)."""
    settings.PUBLIC_URL = "https://shop.example"
    alice.language = "da"
    alice.save()
    ref = _ask(Client(), alice.email)
    code_mail = OutboxMessage.objects.get(subject__contains=ref)
    assert f"https://shop.example/da/privacy/request/confirm/?ref={ref}" in code_mail.text_body
    from tests.rights.conftest import ask, signed_in

    ask(signed_in(alice), "portability")
    done = RightsRequest.objects.filter(customer=alice, state="done").get()
    closed = OutboxMessage.objects.filter(subject__contains=done.reference).latest("pk")
    assert f"https://shop.example/da/account/privacy/{done.reference}/" in closed.text_body


@pytest.mark.clause("RIGHTS-12")
def test_the_console_timeline_names_who_took_each_step_in_words(alice: User, pat: User) -> None:
    from tests.conftest import verified_client

    ref = _ask(Client(), "alice@example.com")
    pat.language = "da"
    pat.save(update_fields=["language"])
    page = verified_client(pat).get(f"/console/rights/{ref}/").content.decode()
    timeline = page[page.index('id="timeline"') : page.index("</ol>", page.index('id="timeline"'))]
    assert "anmoderen" in timeline and "automatisk" in timeline
    assert " requester " not in timeline and " system" not in timeline


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.clause("QS-3")
def test_the_privacy_officer_matches_a_queued_request_and_the_read_names_the_customer(
    alice: User, pat: User
) -> None:
    """Matching a request from an unknown address to an account reads that customer's data:
    the read is audited under their number, so their own copy lists it."""
    from keepfaith.audit.models import AuditEntry
    from tests.conftest import verified_client

    ref = _ask(Client(), "alice.elsewhere@example.org")
    console = verified_client(pat)
    answer = console.post(
        f"/console/rights/{ref}/identify/",
        {"email": alice.email, "note": "a reply from the account's address"},
    )
    assert answer.status_code == 302
    asked = RightsRequest.objects.get(reference=ref)
    assert asked.customer == alice and asked.state == "open"
    assert AuditEntry.objects.filter(
        action="console.rights.request", outcome="read", subject=alice.subject_ref
    ).exists()
