"""A new policy version that needs fresh consent asks again at login; the gate waits (BE-11)."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.accounts.selectors import customer_joined
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices, pending_reconsent
from keepfaith.consent.services import consent_record
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.inforce import in_force
from keepfaith.portal.reconsent import reconsent_required
from keepfaith.versions.services import policy_publish
from tests.conftest import PASSWORD
from tests.consent.helpers import ADS, PARTNER, allowed, newer_policy_text

pytestmark = [pytest.mark.clause("BE-11")]
RENEW = "/account/consent/renew/"


def pending(subject: str) -> list[str]:
    """What the portal asks this customer again, under the policy in force."""
    joined = customer_joined(subject=subject)
    return pending_reconsent(subject=subject, policy=in_force().policy, joined=joined)


def _login(client: Client, user: User):
    return client.post(
        "/account/login/", {"username": user.email, "password": PASSWORD}, follow=True
    )


@pytest.fixture
def carol_agreed(published, carol):
    """Carol agreed to partner promotions under the first version."""
    consent_record(
        policy=in_force().policy,
        subject=carol.customer_number,
        key=PARTNER,
        event="given",
        source="portal",
        policy_version=published,
    )
    return carol


@pytest.fixture
def newer(carol_agreed, alice):
    version, created = policy_publish(source=newer_policy_text(), source_name="2025.yaml")
    assert created is True
    assert version.requires_reconsent == [PARTNER, ADS]
    return version


def test_consent_given_before_a_widening_version_no_longer_counts(carol_agreed, alice):
    subject = carol_agreed.customer_number
    assert allowed(subject, PARTNER) is True
    assert (
        pending_reconsent(
            subject=subject, policy=in_force().policy, joined=customer_joined(subject=subject)
        )
        == []
    )
    policy_publish(source=newer_policy_text())
    assert allowed(subject, PARTNER) is False
    assert allowed(subject, ADS) is False
    assert current_choices(subject=subject)[PARTNER].status is ChoiceStatus.NOT_ASKED
    assert pending_reconsent(
        subject=subject, policy=in_force().policy, joined=customer_joined(subject=subject)
    ) == [ADS, PARTNER]


def test_only_those_who_agreed_are_asked_about_a_widened_use(newer, alice):
    # alice never agreed to partner promotions: only the new use is hers to answer
    assert pending_reconsent(
        subject=alice.customer_number,
        policy=in_force().policy,
        joined=customer_joined(subject=alice.customer_number),
    ) == [ADS]


def test_a_customer_who_joined_after_the_change_is_not_asked(newer):
    dave = User.objects.create_user("dave@example.com", PASSWORD)
    assert reconsent_required(dave) == []
    assert allowed(dave.customer_number or "", ADS) is False  # opt-in: still needs consent


def test_a_customer_who_declined_before_has_answered(published, alice):
    consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key=PARTNER,
        event="withdrawn",
        source="portal",
    )
    policy_publish(source=newer_policy_text())
    assert pending_reconsent(
        subject=alice.customer_number,
        policy=in_force().policy,
        joined=customer_joined(subject=alice.customer_number),
    ) == [ADS]


@pytest.mark.feature("changes.reconsent")
def test_the_customer_is_asked_at_login_and_the_gate_waits_for_the_answer(newer):
    carol = User.objects.get(email="carol@example.com")
    subject = carol.customer_number or ""
    client = Client()
    response = _login(client, carol)
    assert response.redirect_chain[-1][0] == f"{RENEW}?next=%2F"
    page = response.content.decode()
    assert "Partner promotions" in page and "Ads on our site" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert allowed(subject, PARTNER) is False  # nothing done before the answer
    assert client.get("/account/").status_code == 200  # redirected once per login, no more

    # answering only one question keeps the other pending and the page open
    response = client.post(RENEW, {f"use:{ADS}": "yes", "next": "/account/"})
    assert response.status_code == 200
    assert allowed(subject, ADS) is True
    assert pending_reconsent(
        subject=subject, policy=in_force().policy, joined=customer_joined(subject=subject)
    ) == [PARTNER]

    response = client.post(RENEW, {f"use:{PARTNER}": "no", "next": "/account/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert allowed(subject, PARTNER) is False
    assert (
        pending_reconsent(
            subject=subject, policy=in_force().policy, joined=customer_joined(subject=subject)
        )
        == []
    )
    answers = ConsentEvent.objects.filter(subject=subject, source="portal").order_by("-seq")[:2]
    assert [(e.key, e.event) for e in answers] == [(PARTNER, "withdrawn"), (ADS, "given")]
    assert {e.policy_version_id for e in answers} == {newer.pk}
    assert all(e.evidence["form_hash"].startswith("sha256:") for e in answers)

    client.post("/account/logout/")
    assert _login(client, carol).redirect_chain[-1][0] == "/"  # asked once only


def test_saying_yes_restores_a_widened_use(newer):
    carol = User.objects.get(email="carol@example.com")
    client = Client()
    _login(client, carol)
    subject = carol.customer_number or ""
    keys = pending_reconsent(
        subject=subject, policy=in_force().policy, joined=customer_joined(subject=subject)
    )
    answers = {f"use:{key}": "yes" for key in keys}
    response = client.post(RENEW, {**answers, "next": "https://evil.example/"})
    assert response["Location"] == "/account/"  # no open redirect
    assert allowed(subject, PARTNER, ("user.contact.email", "user.name")) is True


def test_the_renew_page_without_pending_uses_goes_on(published, alice):
    client = Client()
    client.force_login(alice)
    response = client.get(RENEW, {"next": "/account/consent/"})
    assert (response.status_code, response["Location"]) == (302, "/account/consent/")
