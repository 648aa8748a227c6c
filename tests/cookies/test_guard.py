"""The guard on every Set-Cookie: registered names, consent, no personal data (BE-4, QS-7)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from keepfaith.audit.models import AuditEntry
from keepfaith.cookies.guard import cookie_violations, personal_markers, value_reason
from keepfaith.cookies.middleware import CookieGuardMiddleware, CookieGuardViolation
from keepfaith.gate.cookies import compile_registry
from keepfaith.policy import load_policy
from keepfaith.policy.rulebook import compile_rulebook

REGISTRY = compile_registry(compile_rulebook(load_policy(Path("examples/qualityssl/policy.yaml"))))
ALL = REGISTRY.purpose_keys


def reasons(cookies, accepted=ALL, markers=()):
    found = cookie_violations(
        cookies=cookies, registry=REGISTRY, accepted=accepted, markers=markers
    )
    return {v.name: v.reason for v in found}


@pytest.mark.clause("BE-4")
def test_unregistered_name_is_blocked():
    assert reasons({"tracker": "abc", "sessionid": "x7k2"}) == {
        "tracker": "its name is not in the cookie registry"
    }


@pytest.mark.clause("QS-7")
def test_optional_cookie_without_consent_is_blocked():
    assert reasons({"kf_returning": "abc"}, accepted=frozenset()) == {
        "kf_returning": "set without consent to its purpose personalize.content"
    }


@pytest.mark.clause("BE-4")
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("alice@example.com", "its value holds an e-mail address"),
        ("ref%3Dalice%40example.com", "its value holds an e-mail address"),
        ("4111111111111111", "its value holds a card-number-like digit run"),
        ("x-4111 1111 1111 1111-y", "its value holds a card-number-like digit run"),
    ],
)
def test_personal_data_in_a_value_is_blocked(value, reason):
    assert reasons({"kf_campaign": value}) == {"kf_campaign": reason}


def test_digit_runs_that_fail_luhn_pass():
    assert value_reason("4111111111111112") is None
    assert value_reason("1700000000") is None  # a timestamp is no card number


@pytest.mark.clause("BE-4")
@pytest.mark.parametrize("value", ["kf-ab3de-fghjk", "Alice+Andersen", "andersen42", "ALICE"])
def test_the_signed_in_persons_identifiers_are_blocked(value):
    markers = personal_markers(
        customer_number="KF-AB3DE-FGHJK", email="alice@example.com", full_name="Alice Andersen"
    )
    assert reasons({"kf_campaign": value}, markers=markers) == {
        "kf_campaign": "its value holds the signed-in person's customer number, e-mail or name"
    }


def test_short_name_parts_are_not_markers():
    markers = personal_markers(customer_number="KF-1", email="bo@x.dk", full_name="Bo Li")
    assert "bo" not in markers
    assert "bo li" in markers


def test_deleting_a_cookie_is_never_blocked():
    assert reasons({"tracker": "", "kf_returning": ""}, accepted=frozenset()) == {}


def _response_setting(**cookies):
    def view(request):
        response = HttpResponse("ok")
        for name, value in cookies.items():
            response.set_cookie(name, value)
        return response

    return view


@pytest.mark.feature("security.consent.cookie_guard")
@pytest.mark.clause("BE-4")
def test_strict_guard_fails_the_request(db, alice):
    request = RequestFactory().get("/")
    request.user = alice
    guard = CookieGuardMiddleware(_response_setting(tracker="1", sessionid="ok"))
    with pytest.raises(CookieGuardViolation, match="tracker: its name is not in the cookie"):
        guard(request)


@pytest.mark.clause("BE-4")
def test_guard_blocks_reports_and_never_logs_the_value(db, alice, settings, caplog):
    settings.KEEPFAITH_COOKIE_GUARD_STRICT = False
    request = RequestFactory().get("/account/")
    request.user = alice
    guard = CookieGuardMiddleware(
        _response_setting(tracker="t1", cart=alice.customer_number, csrftoken="abc123")
    )
    with caplog.at_level(logging.ERROR, logger="keepfaith.cookies"):
        response = guard(request)
    assert set(response.cookies) == {"csrftoken"}
    entries = AuditEntry.objects.filter(action="cookie.blocked").order_by("seq")
    assert [(e.detail["name"], e.detail["reason"], e.clauses) for e in entries] == [
        ("tracker", "its name is not in the cookie registry", ["BE-4"]),
        (
            "cart",
            "its value holds the signed-in person's customer number, e-mail or name",
            ["BE-4"],
        ),
    ]
    assert {e.outcome for e in entries} == {"blocked"}
    assert entries[0].actor == "cookie guard"
    logged = caplog.text + str([e.detail for e in entries])
    assert alice.customer_number not in logged
    assert "t1" not in [e.detail.get("value") for e in entries]
    assert "cookie tracker blocked" in caplog.text


@pytest.mark.clause("BE-4")
@pytest.mark.clause("SITE-1")
def test_a_cookie_kept_longer_than_the_registry_says_is_blocked():
    """The statement's lifetimes come from the registry: a cookie must not outlive them."""
    day = 86_400

    def over(name: str, max_age: int | None) -> dict[str, str]:
        found = cookie_violations(
            cookies={name: "x7k2"}, registry=REGISTRY, accepted=ALL, max_ages={name: max_age}
        )
        return {v.name: v.reason for v in found}

    assert over("sessionid", None) == {}  # ends with the browser, as declared
    assert over("sessionid", 43_200) == {
        "sessionid": "it is kept 43200 s, but the registry says it ends with the browser session"
    }
    assert over("kf_consent", 180 * day) == {}
    assert over("kf_consent", 181 * day) == {
        "kf_consent": f"it is kept {181 * day} s, longer than its declared lifetime 180d"
    }
    assert over("kf_consent", None) == {}  # shorter than declared is fine


@pytest.mark.clause("SITE-1")
def test_signing_in_sets_a_session_cookie_that_ends_with_the_browser(client, alice, published):
    from django.conf import settings as django_settings

    from tests.conftest import PASSWORD

    response = client.post("/account/login/", {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    morsel = response.cookies["sessionid"]
    assert (morsel["max-age"], morsel["expires"]) == ("", "")
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE  # server side
