"""A customer reaches only their own data: every portal URL, as carol, with alice's ids
(SITE-1); and every form refuses a post without its forgery token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keepfaith.accounts.services import contact_details_update
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from keepfaith.rights.services import request_open_signed_in
from keepfaith.support.models import SupportTicket
from tests.conftest import without_random_tokens
from tests.store.conftest import renewal_charged

ALLOWED_STATUS = {200, 302, 400, 403, 404, 405}


def portal_routes() -> list[tuple[str, list[str]]]:
    """Every named URL of the portal namespace (public pages, account, support) with the
    names of its path parameters."""
    _, resolver = get_resolver().namespace_dict["portal"]
    routes = []
    for name in sorted(k for k in resolver.reverse_dict if isinstance(k, str)):
        for possibilities, *_ in resolver.reverse_dict.getlist(name):
            for _, params in possibilities:
                routes.append((name, list(params)))
    return routes


def test_the_walk_covers_the_account_and_support_pages():
    names = {name for name, _ in portal_routes()}
    for wanted in (
        "account",
        "contact",
        "preferences",
        "signup",
        "support_request",
        "support_ticket",
        "support_ticket_detail",
        "consent_receipt",
    ):
        assert wanted in names


@pytest.fixture
def alices_things(alice, published) -> dict[str, Any]:
    contact_details_update(customer=alice, values={"phone": "+45 5555 0001"})
    event = consent_record(
        policy=in_force().policy,
        subject=alice.customer_number,
        key="marketing.communications.email.newsletter",
        event="opted-out",
        source="portal",
    )
    ticket = SupportTicket.objects.create(
        customer=alice,
        customer_number=alice.customer_number,
        email=alice.email,
        name=alice.full_name,
        summary="Alice's secret problem",
        description="only alice may read this",
        operating_system="AliceOS 1",
    )
    order, charge = renewal_charged(alice)
    return {
        "number": order.number,
        "line": 1,
        "charge": charge.pk,
        "product_id": "qualityssl",  # a public page: only the rule "no alice data" applies
        "receipt_ref": event.receipt_ref,
        "ticket_ref": ticket.reference,
        "uidb64": urlsafe_base64_encode(force_bytes(alice.pk)),
        "token": "bogus-token",
        "reference": request_open_signed_in(
            customer=alice, kind="access", details="", language="en", policy=in_force().policy
        )[0].reference,
        "secrets": [
            alice.email,
            alice.full_name,
            alice.customer_number,
            "+45 5555 0001",
            "Alice's secret problem",
            "AliceOS",
            order.number,
            "4242",
        ],
    }


@pytest.mark.clause("SITE-1")
@pytest.mark.clause("QS-3")
def test_carol_never_sees_alice_s_data_on_any_portal_url(alices_things, carol):
    client = Client()
    client.force_login(carol)
    events_before = ConsentEvent.objects.count()
    walked = 0
    for name, params in portal_routes():
        kwargs = {param: alices_things[param] for param in params}
        url = reverse(f"portal:{name}", kwargs=kwargs)
        for method in ("get", "post") if params else ("get",):
            response = getattr(client, method)(url)
            assert response.status_code in ALLOWED_STATUS, (method, url, response.status_code)
            public = (
                name in {"verify_email", "email_confirm", "product", "product_price"}
                or "password_reset" in name
            )
            if params and not public:
                assert response.status_code in {403, 404, 405}, (method, url)
            body = without_random_tokens(response.content.decode(errors="replace"))
            for secret in alices_things["secrets"]:
                assert secret not in body, (method, url, secret)
            walked += 1
        client.force_login(carol)  # a page may log out (logout is a POST-only URL too)
    assert walked >= 20
    assert ConsentEvent.objects.count() == events_before  # nothing recorded for anyone


@pytest.mark.clause("SITE-1")
def test_every_portal_form_rejects_a_post_without_its_forgery_token(alice, published):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    posted = 0
    for name, params in portal_routes():
        if params:
            continue
        url = reverse(f"portal:{name}")
        response = client.post(url, {"email": "x@example.com"})
        assert response.status_code == 403, (url, response.status_code)
        posted += 1
    anonymous = Client(enforce_csrf_checks=True)
    for url in ("/support/request/", "/account/signup/", "/account/password/reset/"):
        assert anonymous.post(url, {"email": "x@example.com"}).status_code == 403
    assert posted >= 10
