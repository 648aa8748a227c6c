"""Pages with personal data are never stored by a cache: ``Cache-Control: no-store`` on every
page of a signed-in customer and every console page (issue 15.8)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import verified_client
from tests.portal.test_isolation import portal_routes


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.clause("QS-3")
def test_every_parameterless_portal_page_of_a_signed_in_customer_is_no_store(alice, published):
    client = Client()
    client.force_login(alice)
    checked = 0
    for name, params in portal_routes():
        if params or name == "logout":
            continue
        response = client.get(reverse(f"portal:{name}"))
        assert _no_store(response), (name, response.status_code, response.get("Cache-Control"))
        checked += 1
    assert checked >= 15


@pytest.mark.clause("QS-3")
def test_every_console_page_is_no_store_signed_in_or_not(bob, pat, published):
    for client in (Client(), verified_client(bob), verified_client(pat)):
        for url in (
            "/console/",
            "/console/login/",
            "/console/verify/",
            "/console/customers/",
            "/console/audit/",
            "/console/no-such-page/",
        ):
            response = client.get(url)
            assert _no_store(response), (url, response.status_code)


def test_a_public_page_for_a_visitor_stays_cacheable(published):
    response = Client().get("/privacy/")
    assert response.status_code == 200
    assert not _no_store(response)
