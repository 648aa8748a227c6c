"""Contact details (changes at once, history kept) and communication preferences."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.accounts.models import ContactDetailsChange
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_record

NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
PARTNER = "marketing.communications.email.partner_promotions"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contact_data(published, **changes) -> dict[str, str]:
    data = {
        "full_name": "Alice Andersen",
        "email": "alice@example.com",
        "phone": "",
        "organization": "",
        "postal_address": "",
        "shown_policy_version": published.label,
    }
    data.update(changes)
    return data


@pytest.mark.clause("QS-4")
def test_a_contact_change_takes_effect_at_once_and_is_kept_in_history(alice, published):
    client = signed_in(alice)
    response = client.post(
        "/account/contact/",
        contact_data(published, phone="+45 1234 5678", email="alice.a@example.com"),
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.phone == "+45 1234 5678"
    assert alice.email == "alice.a@example.com"
    changes = {(c.field, c.old, c.new) for c in ContactDetailsChange.objects.filter(customer=alice)}
    assert changes == {
        ("phone", "", "+45 1234 5678"),
        ("email", "alice@example.com", "alice.a@example.com"),
    }
    page = client.get("/account/contact/").content.decode()
    assert "alice.a@example.com" in page
    assert "+45 1234 5678" in page
    assert 'id="contact-history"' in page
    events = ConsentEvent.objects.filter(
        subject=alice.customer_number, source="form:contact-details"
    )
    assert {e.policy_version_id for e in events} == {published.pk}


@pytest.mark.clause("QS-4")
def test_an_address_of_another_account_cannot_be_taken(alice, carol, published):
    response = signed_in(alice).post(
        "/account/contact/", contact_data(published, email="carol@example.com")
    )
    assert response.status_code == 200
    assert "This address cannot be used" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert ContactDetailsChange.objects.exists() is False


@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
def test_the_contact_form_offers_every_choice_of_its_point(alice, published):
    page = signed_in(alice).get("/account/contact/").content.decode()
    for key in (NEWS, NEWSLETTER, PARTNER):
        assert f'name="choice.{key}"' in page


@pytest.mark.clause("BE-8")
@pytest.mark.clause("BE-9")
def test_preferences_show_every_mail_kind_with_the_ledger_state(alice, published):
    consent_record(subject=alice.customer_number, key=NEWSLETTER, event="opted-out", source="email")
    response = signed_in(alice).get("/account/preferences/")
    rows = {row.kind: row for row in response.context["rows"]}
    assert set(rows) == {
        "newsletter",
        "promotions",
        "partner_promotions",
        "service_announcements",
        "transactional",
    }
    assert rows["newsletter"].on is False
    assert rows["promotions"].on is True  # opt-out use, not declined
    assert rows["partner_promotions"].on is False  # opt-in use, never given
    assert rows["service_announcements"].always_on is True
    assert rows["service_announcements"].switch is False
    assert "cannot be declined" in rows["service_announcements"].reason
    page = response.content.decode()
    assert 'name="use:essential.service.notifications.email"' not in page
    assert "privacy@qualityssl.com" in page  # where opt-outs by e-mail go


@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
def test_a_switch_on_the_preferences_page_is_a_ledger_event_from_the_portal(alice, published):
    client = signed_in(alice)
    client.post("/account/preferences/", {f"use:{NEWS}": "on", f"use:{PARTNER}": "on"})
    choices = current_choices(subject=alice.customer_number)
    assert choices[PARTNER].status == "given"
    assert NEWS not in choices  # on already: nothing to record
    assert choices[NEWSLETTER].status == "opted-out"  # was on, left unticked
    events = ConsentEvent.objects.filter(subject=alice.customer_number)
    assert {e.source for e in events} == {"portal"}
    assert {e.policy_version_id for e in events} == {published.pk}
    client.post("/account/preferences/", {})
    choices = current_choices(subject=alice.customer_number)
    assert choices[PARTNER].status == "withdrawn"
    assert choices[NEWS].status == "opted-out"


def test_staff_have_no_customer_pages(bob, published):
    client = Client()
    client.force_login(bob)
    for path in ("/account/", "/account/contact/", "/account/preferences/"):
        assert client.get(path).status_code == 404, path
