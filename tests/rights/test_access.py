"""Access and portability: a signed-in request after the password, a zip of every record
(RIGHTS-15, RIGHTS-20), and nobody else's data (IDOR)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest

from keepfaith.accounts.models import User
from keepfaith.rights.models import RightsRequest
from keepfaith.rights.records import COLUMN_TITLES, SCHEMA
from tests.rights.conftest import ask, place_order, signed_in


def _zip(client, ref: str) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    response = client.get(f"/account/privacy/{ref}/download.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


@pytest.mark.clause("RIGHTS-15")
@pytest.mark.clause("RIGHTS-20")
@pytest.mark.feature("rights.access.download")
@pytest.mark.feature("rights.request.portal")
def test_alice_downloads_every_record_and_nothing_of_carols(alice: User, carol: User) -> None:
    place_order(carol)
    client = place_order(alice)
    response = ask(client, "access")
    assert response.status_code == 302
    req = RightsRequest.objects.get(customer=alice)
    assert req.state == "done"
    zf = _zip(client, req.reference)
    names = set(zf.namelist())
    assert {"index.html", "data.json", "schema.json", "csv/orders.csv"} <= names
    data = json.loads(zf.read("data.json"))
    assert data["customer_number"] == alice.customer_number
    [account] = data["tables"]["account"]
    assert account["customer_number"] == alice.customer_number
    assert (account["email"], account["full_name"]) == (alice.email, alice.full_name)
    assert account["language"] == alice.language and account["date_joined"]
    assert alice.email in zf.read("csv/account.csv").decode()
    assert alice.full_name in zf.read("index.html").decode()
    orders = data["tables"]["orders"]
    assert len(orders) == 1 and orders[0]["card"].endswith("4242")
    assert data["tables"]["consent_events"], "the checkout recorded consent events"
    raw = b"".join(zf.read(n) for n in names)
    assert b"carol" not in raw.lower()
    assert str(carol.customer_number).encode() not in raw
    assert b"4242424242424242" not in raw and b"4242 4242 4242 4242" not in raw
    assert "web_logs" in data["not_held"]
    assert data["processing"]["supervisory_authority"]["name"] == "Datatilsynet"


@pytest.mark.clause("RIGHTS-15")
def test_the_readable_page_is_in_the_customers_language(alice: User) -> None:
    alice.language = "da"
    alice.save()
    client = place_order(alice)
    from keepfaith.comms.models import InboundMessage

    for outcome in ("rights_request", "unclear"):  # mail she sent: filed, and to the queue
        InboundMessage.objects.create(
            origin="smtp", raw=b"x", customer=str(alice.customer_number), outcome=outcome
        )
    ask(client, "portability")
    req = RightsRequest.objects.get(customer=alice)
    page = _zip(client, req.reference).read("index.html").decode()
    assert 'lang="da"' in page
    assert "Datatilsynet" in page
    assert "Dine oplysninger" in page
    text = re.sub(r"<(style|title)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S)
    text = re.sub(r"\s+", " ", text)
    from tests.browser.test_screens import INTERNAL

    shown = {name: m.group(0) for name, p in INTERNAL.items() if (m := p.search(text))}
    assert shown == {}  # the readable page speaks words; data.json keeps the exact values
    assert "blev orienteret I formularen »Bestilling og betaling«" in text  # words, in Danish
    assert "qualityssl-mobile" not in text and " active " not in text  # names, not codes
    assert "rights_request" not in text and "unclear" not in text
    assert "registreret som en anmodning om dine oplysninger" in text


@pytest.mark.clause("RIGHTS-12")
def test_a_wrong_password_files_nothing(alice: User) -> None:
    client = signed_in(alice)
    response = client.post("/account/privacy/", {"kind": "access", "password": "nope"})
    assert response.status_code == 400
    assert RightsRequest.objects.count() == 0


def test_too_long_details_are_one_clear_error_not_two(alice: User) -> None:
    response = ask(signed_in(alice), "rectification", details="x" * 5000)
    page = response.content.decode()
    assert response.status_code == 400
    assert "at most 4000 characters" in page
    assert "Say what is wrong and what is right." not in page  # it was said, only too long
    assert RightsRequest.objects.count() == 0


@pytest.mark.clause("RIGHTS-12")
def test_a_double_submit_files_one_request(alice: User) -> None:
    client = signed_in(alice)
    ask(client, "rectification", details="My name is Alice Andersen-Berg")
    ask(client, "rectification", details="My name is Alice Andersen-Berg")
    assert RightsRequest.objects.filter(customer=alice).count() == 1
    req = RightsRequest.objects.get()
    assert req.state == "open"
    assert (req.due_at - req.received_at).days in (28, 29, 30, 31)


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.clause("RIGHTS-16")
def test_a_second_request_of_the_same_kind_adds_to_the_open_one(alice: User) -> None:
    """Nothing the customer wrote is dropped: the new words join the open request (the
    privacy officer sees them and a step on its timeline), and the customer is told."""
    client = signed_in(alice)
    ask(client, "rectification", details="My organisation is Andersen ApS")
    page = ask(client, "rectification", details="Please also remove my phone number")
    [req] = RightsRequest.objects.filter(customer=alice)
    assert req.details == "My organisation is Andersen ApS\n\nPlease also remove my phone number"
    assert list(req.steps.values_list("action", flat=True)) == ["received", "added"]
    followed = client.get(page["Location"]).content.decode()
    assert "what you wrote was added to it" in followed


@pytest.mark.clause("RIGHTS-15")
def test_one_customer_never_reaches_anothers_request_or_download(alice: User, carol: User) -> None:
    carol_client = place_order(carol)
    ask(carol_client, "access")
    ref = RightsRequest.objects.get(customer=carol).reference
    alice_client = signed_in(alice)
    for url in (f"/account/privacy/{ref}/", f"/account/privacy/{ref}/download.zip"):
        assert alice_client.get(url).status_code == 404, url
        assert alice_client.post(url).status_code in (404, 405), url


def test_every_exported_column_is_documented_and_titled() -> None:
    for table, columns in SCHEMA.items():
        for column, meaning in columns.items():
            assert meaning, (table, column)
            assert column in COLUMN_TITLES, (table, column)


@pytest.mark.clause("RIGHTS-15")
def test_the_copy_holds_the_validation_details_and_says_them_in_words(alice: User) -> None:
    """An organisation-validated order keeps what the customer gave for the authority: it is
    in the copy (found missing by a walk-through), and the readable page names the party,
    the amounts and a restriction in words."""
    from keepfaith.consent.services import consent_record
    from keepfaith.gate.choices import RESTRICTION_KEY
    from keepfaith.inforce import in_force
    from keepfaith.store.models import Order

    alice.language = "da"
    alice.save()
    client = place_order(alice)
    details = {"organisation": "Andersen ApS", "address": "Nørregade 1", "phone": "+45 1234 5678"}
    Order.objects.filter(customer=alice).update(
        outside_party="certificate-authority", outside_party_choice="given",
        validation_details=details,
    )  # fmt: skip
    consent_record(subject=alice.subject_ref, key=RESTRICTION_KEY, event="opted-out",
                   source="rights:DSR-TEST0001")  # fmt: skip
    ask(client, "access")
    zf = _zip(client, RightsRequest.objects.get(customer=alice).reference)
    [order] = json.loads(zf.read("data.json"))["tables"]["orders"]
    assert order["validation_details"] == details
    assert "Andersen ApS" in zf.read("csv/orders.csv").decode()
    text = re.sub(r"<[^>]+>", " ", zf.read("index.html").decode())
    assert "Organisation: Andersen ApS; Adresse: Nørregade 1; Telefon: +45 1234 5678" in text
    party = in_force().policy.recipient_name("certificate-authority", "da")
    assert party and party in text and "certificate-authority" not in text
    assert re.search(r"(DKK|EUR) \d+,\d\d", text), "amounts in money, not cents"
    [line] = json.loads(zf.read("data.json"))["tables"]["order_lines"]
    assert f"{line['currency']} {line['total_minor'] // 100}," in text  # lines in money too
    assert "Begrænsning af brugen af dine oplysninger" in text and "rights:restriction" not in text


@pytest.mark.clause("RIGHTS-15")
def test_the_copy_holds_the_support_conversation_at_the_sites_local_times(
    alice: User, published: object
) -> None:
    """The replies of a ticket (the customer's and support's) were left out of the copy, and
    its readable page showed every time in UTC, an hour off the site (found by a walk)."""
    from django.utils import timezone
    from django.utils.formats import date_format

    from keepfaith.inforce import in_force
    from keepfaith.support.conversation import support_reply_customer
    from keepfaith.support.models import SupportMessage, SupportTicket
    from tests.support.test_support import ticket_data

    client = place_order(alice)
    version = in_force().version
    assert version is not None
    client.post("/support/ticket/", ticket_data(version.label))
    ticket = SupportTicket.objects.get(customer=alice)
    support_reply_customer(ticket=ticket, body="Same error after a restart.")
    answer = SupportMessage.objects.create(
        ticket=ticket, author="staff", body="Add the chain file."
    )
    ask(client, "access")
    zf = _zip(client, RightsRequest.objects.get(customer=alice).reference)
    replies = json.loads(zf.read("data.json"))["tables"]["support_messages"]
    assert [(r["ticket"], r["author"], r["body"]) for r in replies] == [
        (ticket.reference, "customer", "Same error after a restart."),
        (ticket.reference, "staff", "Add the chain file."),
    ]
    assert "Add the chain file." in zf.read("csv/support_messages.csv").decode()
    [exported] = json.loads(zf.read("data.json"))["tables"]["support_tickets"]
    assert (exported["name"], exported["email"]) == (ticket.name, ticket.email)
    page = zf.read("index.html").decode()
    local = date_format(timezone.localtime(answer.created_at), "DATETIME_FORMAT")
    utc = date_format(answer.created_at.astimezone(dt.UTC).replace(tzinfo=None), "DATETIME_FORMAT")
    assert local != utc  # Copenhagen is never UTC
    assert local in page and "Support" in page


@pytest.mark.clause("RIGHTS-15")
def test_a_date_in_the_copy_is_a_date_not_midnight(alice: User) -> None:
    alice.language = "da"
    alice.save()
    client = place_order(alice)
    ask(client, "access")
    zf = _zip(client, RightsRequest.objects.get(customer=alice).reference)
    [renewal] = json.loads(zf.read("data.json"))["tables"]["renewals"]
    assert len(renewal["due"]) == 10  # a date
    text = re.sub(r"<[^>]+>", " ", zf.read("index.html").decode())
    assert not re.search(r"\d{4} 00:00", text)
