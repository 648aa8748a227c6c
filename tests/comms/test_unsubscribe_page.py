"""The one-click link: POST opts out (any form encoding, idempotent, no cookie, no redirect);
GET only shows a page; the page offers all marketing (BE-8, BE-9, QS-4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from keepfaith.comms.emails import unsubscribe_url
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from tests.comms.conftest import make_customer

NEWSLETTER = "marketing.communications.email.newsletter"
PROMOTIONS = "marketing.communications.email"
PARTNERS = "marketing.communications.email.partner_promotions"


@pytest.fixture
def number(published: Any) -> str:
    return make_customer("dora@example.com").customer_number or ""


def link(number: str, kind: str = "newsletter") -> str:
    return urlsplit(unsubscribe_url(subject_ref=number, kind=kind)).path


def statuses(number: str) -> dict[str, str]:
    """The subject's choices, beside the yes to the two opt-out mails given at sign-up."""
    signed_up = {NEWSLETTER: "given", PROMOTIONS: "given"}
    now = {k: v.status.value for k, v in current_choices(subject=number).items()}
    return {k: v for k, v in now.items() if signed_up.get(k) != v}


def events(number: str) -> Any:
    """The subject's consent events since sign-up."""
    return ConsentEvent.objects.filter(subject=number).exclude(source="signup")


@pytest.mark.clause("BE-8")
def test_get_changes_nothing_and_sets_no_cookie(number: str) -> None:
    response = Client().get(link(number))
    assert response.status_code == 200
    assert response.cookies == {}
    assert b"Unsubscribe from all marketing" in response.content
    assert statuses(number) == {}


@pytest.mark.feature("choices.unsubscribe-link")
@pytest.mark.clause("BE-8")
@pytest.mark.clause("QS-4")
def test_multipart_one_click_is_accepted_and_idempotent(number: str) -> None:
    client = Client()
    for _ in range(2):
        response = client.post(link(number), data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert response.cookies == {} and not response.has_header("Location")
    assert statuses(number) == {NEWSLETTER: "opted-out"}
    assert events(number).count() == 1


@pytest.mark.clause("BE-9")
def test_all_marketing_from_the_page(number: str) -> None:
    response = Client().post(link(number, "promotions"), data={"scope": "all"})
    assert response.status_code == 200
    assert statuses(number) == {k: "opted-out" for k in (NEWSLETTER, PROMOTIONS, PARTNERS)}
    assert set(events(number).values_list("source", flat=True)) == {"web"}


def test_bad_token_and_bad_body(number: str) -> None:
    assert Client().post("/unsubscribe/v1.bad.token/", data={"scope": "all"}).status_code == 404
    page = Client().get("/unsubscribe/v1.bad.token/").content.decode()
    assert 'writing “unsubscribe” to <a href="mailto:' in page  # an address that reads it
    response = Client().post(link(number), data="hello", content_type="text/plain")
    assert response.status_code == 400
    assert statuses(number) == {}
