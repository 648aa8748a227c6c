"""Contact details (changes at once, history kept) and communication preferences."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.accounts.models import ContactDetailsChange
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from tests.conftest import PASSWORD

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


@pytest.mark.feature("portal.contact-details")
@pytest.mark.feature("portal.contact-history")
@pytest.mark.clause("QS-4")
def test_a_contact_change_takes_effect_at_once_and_is_kept_in_history(alice, published):
    client = signed_in(alice)
    response = client.post(
        "/account/contact/",
        contact_data(published, phone="+45 1234 5678", organization="Andersen ApS"),
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.phone == "+45 1234 5678"
    assert alice.organization == "Andersen ApS"
    changes = {(c.field, c.old, c.new) for c in ContactDetailsChange.objects.filter(customer=alice)}
    assert changes == {("phone", "", "+45 1234 5678"), ("organization", "", "Andersen ApS")}
    page = client.get("/account/contact/").content.decode()
    assert "+45 1234 5678" in page
    assert 'id="contact-history"' in page
    events = ConsentEvent.objects.filter(
        subject=alice.customer_number, source="form:contact-details"
    )
    assert {e.policy_version_id for e in events} == {published.pk}


@pytest.mark.clause("QS-4")
def test_an_address_of_another_account_is_not_revealed_and_not_taken(alice, carol, published):
    """Before: "This address cannot be used" told alice that carol's address has an account."""
    client = signed_in(alice)
    taken = client.post(
        "/account/contact/",
        contact_data(published, email="carol@example.com", current_password=PASSWORD),
        follow=True,
    )
    free = client.post(
        "/account/contact/",
        contact_data(published, email="nobody@example.com", current_password=PASSWORD),
        follow=True,
    )
    assert taken.status_code == free.status_code == 200

    def shown(response, address):
        notice = response.content.decode().replace(address, "ADDRESS")
        return notice.split('<ul class="messages">')[1].split("</ul>")[0]

    assert shown(taken, "carol@example.com") == shown(free, "nobody@example.com")
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
    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key=NEWSLETTER,
        event="opted-out",
        source="email",
    )
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
    assert rows["promotions"].on is False  # opt-out use, but never asked (a Danish empty box)
    assert rows["partner_promotions"].on is False  # opt-in use, never given
    assert rows["service_announcements"].always_on is True
    assert rows["service_announcements"].switch is False
    assert "cannot be declined" in rows["service_announcements"].reason
    page = response.content.decode()
    assert 'name="use:essential.service.notifications.email"' not in page
    assert "privacy@qualityssl.com" in page  # where opt-outs by e-mail go


@pytest.mark.feature("choices.portal-preferences")
@pytest.mark.clause("BE-9")
@pytest.mark.clause("QS-4")
def test_a_switch_on_the_preferences_page_is_a_ledger_event_from_the_portal(alice, published):
    client = signed_in(alice)
    shown = {f"shown:use:{NEWS}": "on", f"shown:use:{NEWSLETTER}": "on"}
    shown[f"shown:use:{PARTNER}"] = "off"  # as the page showed them
    client.post("/account/preferences/", {**shown, f"use:{NEWS}": "on", f"use:{PARTNER}": "on"})
    choices = current_choices(subject=alice.customer_number)
    assert choices[PARTNER].status == "given"
    assert NEWS not in choices  # on already: nothing to record
    assert choices[NEWSLETTER].status == "opted-out"  # was on, left unticked
    events = ConsentEvent.objects.filter(subject=alice.customer_number)
    assert {e.source for e in events} == {"portal"}
    assert {e.policy_version_id for e in events} == {published.pk}
    shown = {f"shown:use:{NEWS}": "on", f"shown:use:{NEWSLETTER}": "off"}
    shown[f"shown:use:{PARTNER}"] = "on"
    client.post("/account/preferences/", shown)  # every box unticked
    choices = current_choices(subject=alice.customer_number)
    assert choices[PARTNER].status == "withdrawn"
    assert choices[NEWS].status == "opted-out"


def test_staff_have_no_customer_pages(bob, published):
    client = Client()
    client.force_login(bob)
    for path in ("/account/", "/account/contact/", "/account/preferences/"):
        assert client.get(path).status_code == 404, path
