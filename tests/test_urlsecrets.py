"""Secrets and references in paths are replaced before reports or logs carry them (BE-5)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepfaith.urlsecrets import path_shown, scrub_urls
from keepfaith.vault.scrub import LogTextScrubFilter

pytestmark = [pytest.mark.clause("BE-5")]

UNSUBSCRIBE = "/unsubscribe/v1.eyJrIjogIm5ld3NsZXR0ZXIiLCAicyI6ICJLRi1QMEZa.Xk9aQ2b7/"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (UNSUBSCRIBE, "/unsubscribe/:token/"),
        ("/da/account/verify/OA/dj4f53-93efe90f5a97208702d9db581681c496/",
         "/da/account/verify/:id/:token/"),
        ("/account/password/reset/MTI/c4x9ab-0f1e2d3c4b5a69788796a5b4c3d2e1f0/",
         "/account/password/reset/:id/:token/"),
        ("/account/email/confirm/Zm9vQGV4YW1wbGUuY29t:1tQ2x9:AbCdEf0123456789xyz/",
         "/account/email/confirm/:token/"),
        ("/account/orders/O-8M19-GP0C/", "/account/orders/:number/"),
        ("/console/customers/KF-P0FZC-7J2RT/", "/console/customers/:number/"),
        # a number of letters only (one in twenty order numbers): no digit to look for
        ("/account/orders/O-GNJX-GYHV/go-ahead/", "/account/orders/:number/go-ahead/"),
        ("/console/customers/KF-ABCDE-FGHJK/", "/console/customers/:number/"),
        ("/console/rights/DSR-ABCDEFGH/", "/console/rights/:number/"),
        ("/account/privacy/DSR-RV8UX3WD/download.zip", "/account/privacy/:number/download.zip"),
        ("/support/ticket/3/", "/support/ticket/:id/"),
        ("/support/ticket/5f0c2a9e41d7b3c8/close/", "/support/ticket/:id/close/"),
        ("/support/ticket/abcdefabcdefabcd/", "/support/ticket/:id/"),  # no digit in it
        ("/console/support/requests/0a1b2c3d4e5f6a7b/", "/console/support/requests/:id/"),
        ("/console/rights/DSR-RV8UX3WD/extend/", "/console/rights/:number/extend/"),
        ("/account/consent/41/", "/account/consent/:id/"),
        ("/account/consent/3f2a9c1b5d6e7f8a/receipt.json", "/account/consent/:id/receipt.json"),
        # kept: what names no one
        ("/", "/"),
        ("/shop/qualityssl-wildcard/", "/shop/qualityssl-wildcard/"),
        ("/blog/2024/03/", "/blog/2024/03/"),
        ("/static/app.3f2a9c1b5d6e7f8a9b0c1d2e.js", "/static/app.3f2a9c1b5d6e7f8a9b0c1d2e.js"),
        ("/account/password/reset/done/", "/account/password/reset/done/"),
        ("/page/12/", "/page/12/"),
        ("/blog/top-10-ssl-providers-compared-2024/", "/blog/top-10-ssl-providers-compared-2024/"),
        ("/account/password/reset/MQ/set-password/", "/account/password/reset/:id/set-password/"),
        ("/console/support/12/", "/console/support/:id/"),
        ("/console/support/requests/4/", "/console/support/requests/:id/"),
        ("/console/rights/8/", "/console/rights/:id/"),
        ("/console/admin/accounts/user/3/change/", "/console/admin/accounts/user/:id/change/"),
    ],
)  # fmt: skip
def test_a_path_keeps_what_names_no_one(path, shown):
    assert path_shown(path) == shown


def test_a_server_log_line_loses_the_token_but_keeps_the_rest():
    line = f'"GET {UNSUBSCRIBE}?x=1 HTTP/1.1" 200 512 "https://shop.example{UNSUBSCRIBE}"'
    assert scrub_urls(line) == (
        '"GET /unsubscribe/:token/?x=1 HTTP/1.1" 200 512 "https://shop.example/unsubscribe/:token/"'
    )


def test_references_and_tokens_in_a_query_are_replaced_too():
    line = '"GET /privacy/request/confirm/?ref=DSR-RV8UX3WD&lang=da HTTP/1.1" 200'
    assert scrub_urls(line) == '"GET /privacy/request/confirm/?ref=:number&lang=da HTTP/1.1" 200'
    assert scrub_urls("/x/?recipient=KF-P0FZC-7J2RT") == "/x/?recipient=:number"
    assert scrub_urls("/x/?page=2&q=ssl") == "/x/?page=2&q=ssl"


@pytest.mark.clause("QS-6")
def test_a_path_or_address_given_in_a_query_loses_what_names_someone():
    """A sign-in redirect carries the page asked for (``next=``), a search the address typed:
    both went to the server log, and from there to the web-log store, as they were."""
    line = '"GET /account/login/?next=/account/orders/O-47VT-AN4V/ HTTP/1.1" 302'
    assert scrub_urls(line) == '"GET /account/login/?next=/account/orders/:number/ HTTP/1.1" 302'
    assert scrub_urls("/console/customers/?q=alice%40example.com&page=2") == (
        "/console/customers/?q=:email&page=2"
    )
    assert scrub_urls("/console/?q=alice@example.com") == "/console/?q=:email"
    encoded = "/console/login/?next=%2Fconsole%2Fcustomers%2FKF-9X127-S98AR%2F"
    assert "KF-9X127" not in scrub_urls(encoded)
    assert scrub_urls("/cookies/?next=/shop/") == "/cookies/?next=/shop/"  # names no one


def test_a_long_segment_is_replaced_whole():
    long = "/unsubscribe/" + "ab12" * 1000 + "/"
    assert scrub_urls(long) == "/unsubscribe/:token/"


def test_every_log_record_of_the_process_is_scrubbed_of_link_secrets():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"GET %s HTTP/1.1" %s', (UNSUBSCRIBE, 200),
        None,
    )  # fmt: skip
    LogTextScrubFilter().filter(record)
    assert "eyJr" not in record.getMessage()
    assert "/unsubscribe/:token/" in record.getMessage()


@given(st.text(max_size=300))
def test_any_text_is_scrubbed_without_error_and_twice_is_once(text):
    once = scrub_urls(text)
    assert scrub_urls(once) == once


@given(st.lists(st.sampled_from(["a", "1", "/", "-", ".", "O-", "KF-", "x" * 25]), max_size=80))
def test_any_path_is_shown_without_error_and_twice_is_once(parts):
    path = "/" + "".join(parts)
    shown = path_shown(path)
    assert path_shown(shown) == shown
    assert shown.count("/") == path.count("/")  # segments are replaced, never merged
