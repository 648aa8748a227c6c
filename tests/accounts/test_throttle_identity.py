"""Login throttling counts failures against the identity the login matches on (issue 15.1).

Before: five wrong passwords for ``alice@example.com`` locked that spelling only;
``Alice@example.com`` then logged in, and guesses spread over capitalisations were never
throttled. Staff: ``BILL@staff.example`` reached the second-factor step of a locked account.
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from keepfaith.accounts.throttle import throttle_username
from tests.conftest import PASSWORD, make_staff

WRONG = "not the password"


def _spellings(address: str, count: int) -> list[str]:
    local, domain = address.split("@")
    variants = []
    for mask in itertools.product((str.lower, str.upper), repeat=len(local)):
        variants.append("".join(f(c) for f, c in zip(mask, local, strict=True)) + "@" + domain)
    return variants[:count]


@pytest.mark.clause("QS-3")
def test_a_change_of_capitals_does_not_escape_a_customer_lockout(alice):
    client = Client()
    for _ in range(5):
        client.post("/account/login/", {"username": alice.email, "password": WRONG})
    response = client.post(
        "/account/login/", {"username": "Alice@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.clause("QS-3")
def test_guesses_spread_over_spellings_are_counted_together(alice):
    client = Client()
    statuses = []
    for spelling in _spellings(alice.email, 8) * 4:  # 32 guesses, 8 capitalisations
        statuses.append(
            client.post("/account/login/", {"username": spelling, "password": WRONG}).status_code
        )
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}  # the fifth failure locks; every guess after is refused


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize(
    "spelling", ["BILL@staff.example", " bill@STAFF.example ", "\uff42ill@staff.example"]
)
def test_a_locked_staff_account_does_not_reach_the_second_factor(db, spelling):
    bill = make_staff("bill@staff.example", "billing")
    client = Client()
    for _ in range(5):
        client.post("/console/login/", {"username": bill.email, "password": WRONG})
    response = client.post("/console/login/", {"username": spelling, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/console/verify/").status_code == 302  # back to the login, no factor form


def test_spellings_that_log_in_are_one_throttle_identity(alice):
    """Every spelling the login accepts for alice maps to one throttle key (and logs in)."""
    for spelling in [
        "alice@example.com",
        "ALICE@EXAMPLE.COM",
        "  Alice@example.com",
        "\uff41lice@example.com",
    ]:
        assert throttle_username(None, {"username": spelling}) == "alice@example.com"
        client = Client()
        response = client.post("/account/login/", {"username": spelling, "password": PASSWORD})
        assert response.status_code == 302, spelling


@pytest.mark.clause("QS-3")
def test_an_overlong_login_name_is_throttled_not_a_server_error(db):
    """Axes keeps the key in a 255-character column: PostgreSQL refuses anything longer, so a
    10,000-character name must still be counted (cut to fit), not fail the login with a 500."""
    typed = "x" * 10_000 + "@example.com"
    assert len(throttle_username(None, {"username": typed})) == 255
    client = Client()
    for _ in range(6):
        response = client.post("/account/login/", {"username": typed, "password": WRONG})
    assert response.status_code == 429
