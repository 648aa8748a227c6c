"""Every public and customer page in Danish under /da/ (SITE-5): ``<html lang="da">``, a switch
to English that keeps the page, and none of the site's own English words."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.consent.models import ConsentEvent
from keepfaith.store.models import Order, OrderLine
from tests.conftest import PASSWORD

# Words of the site's English interface that no Danish page may show (whole words, case
# counts). Customers' own words (a ticket's summary) and names of programs are not in it.
ENGLISH_UI = re.compile(
    r"\b(Log in|Log out|My account|Your|Cart|Shop|Save|Back to|Home|Tools|Privacy|Accept all|"
    r"Reject all|Customise|Password|Order|Orders|Price|Quantity|VAT|Check out|Create|"
    r"History|When|What|Receipt|Paid with|Renew|Name|Phone|Address|Optional|Close|Choose|"
    r"the|and|with|you|your|this|page|please|here|from|of|is|are|not|required|months?|days?|"
    r"purchase|history|country|survey|extra|names)\b"
)
HIDDEN = re.compile(r"<(script|style|code|pre|title)\b.*?</\1>|<[^>]+>", re.S | re.I)
# Pages other helpers translate in parallel: they must say lang="da" already; their words are
# checked once the lead has merged them (tests/test_translations.py, PENDING_TEMPLATES).
PENDING: tuple[str, ...] = ()
# IIS's own (English) menu names and the certificate field "Common Name" in the install guide.
PROGRAM_WORDS = {"/da/tools/install/": ["Create", "Name"]}


@pytest.fixture(autouse=True)
def _demo_files_in_tmp(settings, tmp_path):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    settings.SHARING_DIR = tmp_path / "sharing"


def _english(html: str) -> list[str]:
    text = HIDDEN.sub(" ", html)
    return sorted(set(ENGLISH_UI.findall(text)))


def _check(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    html = response.content.decode()
    assert '<html lang="da">' in html, path
    if not path.startswith(PENDING):
        assert _english(html) == PROGRAM_WORDS.get(path, []), path
    return html


def _public_paths() -> list[str]:
    return [
        "/da/",
        "/da/shop/",
        "/da/shop/qualityssl/",
        "/da/shop/qualityssl-wildcard/",
        "/da/cart/",
        "/da/tools/",
        "/da/tools/install/",
        "/da/privacy/",
        "/da/privacy/updates/",
        "/da/cookies/",
        "/da/account/login/",
        "/da/account/signup/",
        "/da/account/signup/sent/",
        "/da/account/password/reset/",
        "/da/account/password/reset/sent/",
        "/da/account/password/reset/complete/",
        "/da/account/password/reset/MQ/set-password/",
        "/da/account/verify/MQ/bad-token/",
        "/da/support/request/",
    ]


@pytest.mark.clause("SITE-5")
def test_every_public_page_is_danish_under_da(db):
    call_command("demo", stdout=StringIO())
    client = Client()
    for path in _public_paths():
        _check(client, path, status=400 if "/verify/" in path else 200)
    _check(client, "/da/no-such-page/", status=404)


@pytest.mark.clause("SITE-5")
def test_every_customer_page_is_danish_under_da(db):
    call_command("demo", stdout=StringIO())
    alice = User.objects.get(email="alice@example.com")
    client = Client()
    client.force_login(alice)
    # An order line keeps the words of the language it was bought in: the demo's are English.
    OrderLine.objects.filter(order__customer=alice).update(description="QualitySSL")
    client.post("/da/cart/", {"product": "qualityssl", "action": "add", "term": "12"})
    order = Order.objects.filter(customer=alice).order_by("pk").first()
    assert order is not None
    event = ConsentEvent.objects.filter(subject=alice.subject_ref).first()
    assert event is not None
    paths = [
        "/da/account/",
        "/da/account/contact/",
        "/da/account/preferences/",
        "/da/account/consent/",
        f"/da/account/consent/{event.receipt_ref}/",
        "/da/account/orders/",
        f"/da/account/orders/{order.number}/",
        "/da/account/certificates/",
        "/da/cart/",
        "/da/checkout/",
        "/da/support/ticket/",
        *_public_paths()[:10],
    ]
    for path in paths:
        html = _check(client, path)
        assert 'name="language" value="en"' in html, path  # the switch, remembered on the account


@pytest.mark.clause("SITE-5")
def test_the_switch_keeps_the_page_and_sets_no_cookie(db, published):
    client = Client()
    html = client.get("/shop/?x=1").content.decode()
    assert '<a href="/da/shop/?x=1" hreflang="da" lang="da">Dansk</a>' in html
    html = client.get("/da/cookies/").content.decode()
    assert '<a href="/cookies/" hreflang="en" lang="en">English</a>' in html
    missing = client.get("/da/no-such-page/").content.decode()
    assert '<a href="/" hreflang="en" lang="en">English</a>' in missing  # never echoes the path
    assert "no-such-page" not in missing
    assert client.cookies == {}  # browsing and switching set no cookie


@pytest.mark.clause("SITE-5")
def test_a_customer_switch_is_remembered_and_used_after_login(db, published, alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/language/", {"language": "da", "next": "/account/orders/?a=1"})
    assert response.status_code == 302
    assert response["Location"] == "/da/account/orders/?a=1"
    alice.refresh_from_db()
    assert alice.language == "da"
    fresh = Client()
    response = fresh.post("/account/login/", {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/da/"
    assert client.post("/language/", {"language": "xx", "next": "/"}).status_code == 400


def test_signing_out_of_a_danish_page_lands_on_the_danish_home_page(db, published, alice):
    client = Client()
    client.force_login(alice)
    assert client.post("/da/account/logout/")["Location"] == "/da/"
    client.force_login(alice)
    assert client.post("/account/logout/")["Location"] == "/"


def test_a_visitor_switch_goes_nowhere_else_and_changes_no_account(db, published, alice):
    response = Client().post("/language/", {"language": "da", "next": "https://evil.example/"})
    assert response["Location"] == "/da/"
    alice.refresh_from_db()
    assert alice.language == ""
