"""The unsubscribe page in the company's words: its brand, the mail's name from the policy
(never its key), "already unsubscribed" when the ledger says so, in Danish too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.comms.emails import unsubscribe_url
from tests.comms.conftest import make_customer


@pytest.fixture
def number(published: Any) -> str:
    return make_customer("dora@example.com").customer_number or ""


def link(number: str, kind: str = "promotions") -> str:
    return urlsplit(unsubscribe_url(subject_ref=number, kind=kind)).path


def test_the_page_carries_the_brand_and_the_mail_s_name(number: str) -> None:
    body = Client().get(link(number)).content.decode()
    assert "QualitySSL" in body
    assert "Product news and deals" in body
    assert "<strong>promotions</strong>" not in body
    User.objects.filter(customer_number=number).update(language="da")
    danish = Client().get(link(number)).content.decode()
    assert "Produktnyheder og tilbud" in danish
    assert 'lang="da"' in danish


@pytest.mark.clause("BE-8")
def test_a_second_visit_says_already_unsubscribed(number: str) -> None:
    client = Client()
    assert "already unsubscribed" not in client.get(link(number)).content.decode()
    client.post(link(number), data={"scope": "kind"})
    body = client.get(link(number)).content.decode()
    assert "You are already unsubscribed" in body
    assert "Product news and deals" in body
    assert "Also stop all other marketing e-mail" in body  # the others still reach them
    client.post(link(number), data={"scope": "all"})
    after = client.get(link(number)).content.decode()
    assert "You receive no marketing e-mail from us." in after
    assert "Also stop all other marketing e-mail" not in after  # nothing left to stop


def test_unsubscribing_from_the_last_mail_left_offers_nothing_more(number: str) -> None:
    client = Client()
    client.post(link(number, "newsletter"), data={"scope": "kind"})
    done = client.post(link(number), data={"scope": "kind"}).content.decode()  # the other one
    assert "You will receive no more marketing e-mail from us." in done
    assert "Also stop all other marketing e-mail" not in done
