"""Passing the second factor gives the session a new key (issue 15.8)."""

from __future__ import annotations

import pytest
from django.test import Client

from keepfaith.accounts.totp import current_code
from tests.conftest import PASSWORD


@pytest.mark.clause("QS-3")
def test_the_session_key_changes_when_the_second_factor_is_passed(bob):
    client = Client()
    client.post("/console/login/", {"username": bob.email, "password": PASSWORD})
    before = client.session.session_key
    device = bob.totpdevice_set.get()
    response = client.post("/console/verify/", {"token": current_code(device), "next": "/console/"})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert client.get("/console/").status_code == 200
    stale = Client()
    stale.cookies["sessionid"] = str(before)  # the key known before the second factor
    assert stale.get("/console/").status_code == 302
