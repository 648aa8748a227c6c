"""Repeated wrong passwords lock the account out from that address, staff and customer alike."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/console/login/", "/account/login/"])
def test_login_is_throttled_after_repeated_failures(url, bob, alice):
    user = bob if url.startswith("/console") else alice
    client = Client()
    for _ in range(5):
        client.post(url, {"username": user.email, "password": "wrong password"})
    locked = client.post(url, {"username": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed log-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_other_accounts_are_not_locked_by_someone_elses_failures(bob, alice):
    client = Client()
    for _ in range(5):
        client.post("/account/login/", {"username": alice.email, "password": "wrong password"})
    response = client.post("/console/login/", {"username": bob.email, "password": PASSWORD})
    assert response.status_code == 302
