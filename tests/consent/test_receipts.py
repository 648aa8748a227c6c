"""Every consent event has a receipt, shown to the customer it belongs to and nobody else."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keepfaith.consent.selectors import consent_receipt
from keepfaith.consent.services import consent_form_hash, consent_record
from keepfaith.inforce import in_force
from tests.conftest import verified_client
from tests.consent.helpers import NEWSLETTER, PARTNER


@pytest.fixture
def alice_event(published, alice):
    return consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key=PARTNER,
        event="given",
        source="form:newsletter-signup",
        policy_version=published,
        evidence={"form_hash": consent_form_hash(shown="<form>partner offers</form>")},
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_receipt_follows_the_kantara_fields_and_names_its_ledger_entry(alice_event):
    receipt = consent_receipt(event=alice_event, policy=in_force().policy)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "DK"
    assert receipt["collectionMethod"] == "form:newsletter-signup"
    assert receipt["piiPrincipalId"] == alice_event.subject
    assert receipt["piiControllers"][0]["piiController"] == "BitEngines"
    assert receipt["policyUrl"] == "https://www.qualityssl.com/privacy/"
    (service,) = receipt["services"]
    assert service["service"] == "Partner promotions"
    (purpose,) = service["purposes"]
    assert (purpose["consentType"], purpose["purposeCategory"]) == ("EXPLICIT", [PARTNER])
    assert purpose["piiCategory"] == ["user.contact.email"]
    ledger = receipt["keepfaith"]["ledger"]
    assert ledger["entryHash"] == alice_event.entry_hash
    assert "seq" not in ledger  # it would tell how many choices all customers made
    assert receipt["keepfaith"]["policyVersion"]["label"] == "2024.1"
    assert (
        receipt["consentReceiptID"]
        == consent_receipt(event=alice_event, policy=in_force().policy)["consentReceiptID"]
    )


def test_a_go_ahead_receipt_names_the_outside_party(published, carol):
    event = consent_record(
        policy=in_force().policy,
        subject=carol.customer_number,
        key="outside_party:certificate-authority",
        event="given",
        source="checkout",
    )
    purpose = consent_receipt(event=event, policy=in_force().policy)["services"][0]["purposes"][0]
    assert purpose["thirdPartyDisclosure"] is True
    assert purpose["thirdPartyName"]


@pytest.mark.clause("SITE-1")
def test_the_owner_sees_the_history_the_page_and_the_json(alice_event, alice):
    client = _client(alice)
    listing = client.get("/account/consent/")
    assert listing.status_code == 200
    assert f"/account/consent/{alice_event.receipt_ref}/receipt.json" in listing.content.decode()
    assert "In this browser you have not chosen yet." in listing.content.decode()
    # the banner's choice lives in the browser: the page says what this browser holds
    client.post("/cookies/", {"choice": "save", "purpose": ["personalize.content"], "next": "/"},
                HTTP_ORIGIN="http://testserver")  # fmt: skip
    browser = client.get("/account/consent/").content.decode()
    assert "In this browser you have accepted: Returning visitors." in browser
    page = client.get(f"/account/consent/{alice_event.receipt_ref}/")
    assert page.status_code == 200
    assert "Partner promotions" in page.content.decode()
    assert alice_event.entry_hash in page.content.decode()
    data = client.get(f"/account/consent/{alice_event.receipt_ref}/receipt.json")
    assert data["Content-Type"] == "application/json"
    assert json.loads(data.content)["keepfaith"]["event"] == "given"
    # the file is named by the receipt's reference, not the ledger's count of all choices
    assert (
        f'filename="consent-receipt-{alice_event.receipt_ref}.json"' in data["Content-Disposition"]
    )


@pytest.mark.clause("SITE-1")
def test_nobody_else_sees_a_receipt(alice_event, carol, bob):
    consent_record(
        policy=in_force().policy,
        subject=carol.customer_number,
        key=NEWSLETTER,
        event="opted-out",
        source="email",
    )
    urls = [
        f"/account/consent/{alice_event.receipt_ref}/",
        f"/account/consent/{alice_event.receipt_ref}/receipt.json",
    ]
    carols = _client(carol)
    for url in urls:
        assert carols.get(url).status_code == 404
        assert verified_client(bob).get(url).status_code == 404  # staff have no customer area
        assert Client().get(url).status_code == 302  # to the login page
    listing = carols.get("/account/consent/").content.decode()
    assert f"/account/consent/{alice_event.receipt_ref}/" not in listing
    assert "Newsletter" in listing and NEWSLETTER not in listing  # its name, not its key
    assert carols.get("/account/consent/999999/").status_code == 404


def test_a_yes_ticked_in_an_empty_box_is_an_explicit_consent(published, alice):
    """Denmark: an opt-out use's box starts empty, so a yes is a ticked box: explicit."""
    event = consent_record(
        policy=in_force().policy,
        subject=alice.subject_ref,
        key="marketing.communications.email.newsletter",
        event="opted-in",
        source="form:signup",
        policy_version=published,
    )
    (service,) = consent_receipt(event=event, policy=in_force().policy)["services"]
    assert service["purposes"][0]["consentType"] == "EXPLICIT"


def test_a_receipt_is_addressed_by_the_start_of_its_hash_not_its_row_number(alice_event, alice):
    """The ledger's row number would tell a customer how many choices every customer made."""
    client = _client(alice)
    assert alice_event.receipt_ref == alice_event.entry_hash[:16]
    assert client.get(f"/account/consent/{alice_event.receipt_ref}/").status_code == 200
    for other in (str(alice_event.pk), alice_event.entry_hash, alice_event.receipt_ref.upper(),
                  "g" * 16):  # fmt: skip
        assert client.get(f"/account/consent/{other}/").status_code == 404
    assert client.get(f"/account/consent/{'%00' * 16}/").status_code == 400  # no address holds NUL
