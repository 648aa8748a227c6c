"""Unsubscribe tokens, List-Unsubscribe headers and the one-click POST (BE-8, BE-9, RFC 8058)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from keepfaith.comms.unsubscribe import (
    InvalidToken,
    is_one_click_body,
    list_unsubscribe_headers,
    read_unsubscribe_token,
    unsubscribe_token,
)

SECRET = b"current-unsubscribe-secret-0001"
OLD_SECRET = b"previous-unsubscribe-secret-000"
ISSUED = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def token(subject_ref="cust-4711", kind="newsletter", secret=SECRET, issued_at=ISSUED):
    return unsubscribe_token(subject_ref=subject_ref, kind=kind, secret=secret, issued_at=issued_at)


@pytest.mark.clause("BE-8")
def test_token_round_trips_recipient_kind_and_issue_time():
    value = token()
    claim = read_unsubscribe_token(value, secret=SECRET)
    assert (claim.subject_ref, claim.kind, claim.issued_at) == ("cust-4711", "newsletter", ISSUED)
    assert claim.key_index == 0
    assert value.startswith("v1.")
    assert all(c.isalnum() or c in "-_." for c in value)


@pytest.mark.clause("BE-8")
def test_tokens_differ_per_recipient_and_per_kind():
    values = {token(), token(subject_ref="cust-4712"), token(kind="partner_promotions")}
    assert len(values) == 3


def test_token_signed_with_a_rotated_out_secret_still_reads_via_the_fallback():
    value = token(secret=OLD_SECRET)
    with pytest.raises(InvalidToken, match="bad signature or was signed with an unknown key"):
        read_unsubscribe_token(value, secret=SECRET)
    claim = read_unsubscribe_token(value, secret=SECRET, fallback_secrets=[b"x" * 16, OLD_SECRET])
    assert claim.key_index == 2


@pytest.mark.clause("BE-8")
def test_tokens_do_not_expire_unless_a_max_age_is_asked_for():
    later = ISSUED + timedelta(days=3650)
    assert read_unsubscribe_token(token(), secret=SECRET).issued_at == ISSUED
    claim = read_unsubscribe_token(token(), secret=SECRET, max_age=timedelta(days=3651), now=later)
    assert claim.kind == "newsletter"
    with pytest.raises(InvalidToken, match="expired"):
        read_unsubscribe_token(token(), secret=SECRET, max_age=timedelta(days=30), now=later)


def _tampered_kind(value: str) -> str:
    version, payload, signature = value.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["k"] = "service"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{version}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "expected three parts"),
        ("v1.abc", "expected three parts"),
        ("v2.abc.def", "unknown version"),
        ("v1.ab$c.def", "not base64url"),
        ("v1.abc.d", "not base64url"),
        ("v1.YWJj.AAAA", "bad signature"),
        ("x" * 5000, "malformed"),
        ("v1.økø.abc", "malformed"),
    ],
)
def test_bad_tokens_raise_invalid_token_with_a_clear_message(bad, message):
    with pytest.raises(InvalidToken, match=message):
        read_unsubscribe_token(bad, secret=SECRET)


def test_a_token_whose_kind_was_changed_is_refused():
    with pytest.raises(InvalidToken, match="bad signature"):
        read_unsubscribe_token(_tampered_kind(token()), secret=SECRET)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"subject_ref": "alice@customer.example"}, "opaque reference, not an e-mail address"),
        ({"subject_ref": ""}, "subject_ref must be 1 to 200 printable characters"),
        ({"kind": "news\nletter"}, "kind must be 1 to 200 printable characters"),
        ({"secret": b"short"}, "at least 16 bytes"),
        ({"issued_at": datetime(2025, 6, 2)}, "timezone-aware"),
    ],
)
def test_token_issue_refuses_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        token(**options)


@pytest.mark.clause("BE-8")
def test_list_unsubscribe_headers_follow_rfc_2369_and_8058():
    url = "https://qualityssl.example/u/" + token()
    headers = list_unsubscribe_headers(https_url=url, mailto="unsubscribe@qualityssl.example")
    assert headers == {
        "List-Unsubscribe": f"<{url}>, <mailto:unsubscribe@qualityssl.example?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message.set_content("June news")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert str(parsed["List-Unsubscribe"]) == headers["List-Unsubscribe"]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("url", "mailto", "message"),
    [
        ("http://qualityssl.example/u/x", "unsubscribe@qualityssl.example", "https://"),
        ("http://127.0.0.1.evil.example/u/x", "unsubscribe@qualityssl.example", "https://"),
        ("http://localhost.evil.example/u/x", "unsubscribe@qualityssl.example", "https://"),
        ("http://127.0.0.1:80@evil.example/u/x", "unsubscribe@qualityssl.example", "https://"),
        ("https://qualityssl.example/u/a b", "unsubscribe@qualityssl.example", "https://"),
        ("https://qualityssl.example/u/x", "not-an-address", "plain e-mail address"),
        ("https://qualityssl.example/u/x", "a@b.example?subject=x", "plain e-mail address"),
    ],
)
def test_list_unsubscribe_headers_refuse_bad_links(url, mailto, message):
    with pytest.raises(ValueError, match=message):
        list_unsubscribe_headers(https_url=url, mailto=mailto)


def test_plain_http_is_accepted_only_for_the_demo_on_this_machine():
    """``make run`` serves on http://127.0.0.1:8000 and its mail links there."""
    for url in ("http://127.0.0.1:8000/unsubscribe/t/", "http://localhost:8000/unsubscribe/t/"):
        headers = list_unsubscribe_headers(https_url=url, mailto="u@q.example")
        assert headers["List-Unsubscribe"].startswith(f"<{url}>")


def test_mailto_prefix_is_accepted_once():
    headers = list_unsubscribe_headers(
        https_url="https://q.example/u/t", mailto="mailto:unsubscribe@q.example"
    )
    assert headers["List-Unsubscribe"].endswith(
        "<mailto:unsubscribe@q.example?subject=unsubscribe>"
    )


FORM = "application/x-www-form-urlencoded"


def _multipart(fields: list[tuple[str, str]], boundary: str = "----kf1") -> tuple[bytes, str]:
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    body = ("".join(chunks) + f"--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.clause("BE-8")
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"List-Unsubscribe=One-Click", FORM),
        (b"List-Unsubscribe=One-Click\r\n", FORM),
        (b"List-Unsubscribe=One-Click\n\n", "application/x-www-form-urlencoded; charset=UTF-8"),
        (b"utm=x&List-Unsubscribe=One-Click", FORM),
        _multipart([("List-Unsubscribe", "One-Click")]),
        _multipart([("other", "1"), ("List-Unsubscribe", "One-Click")], boundary="xyz"),
    ],
)
def test_one_click_post_is_recognised_in_both_encodings(body, content_type):
    assert is_one_click_body(body, content_type) is True


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", FORM),
        (b"List-Unsubscribe=Two-Click", FORM),
        (b"List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", FORM),
        (b"List-Unsubscribe=One-Click", "text/plain"),
        (b"List-Unsubscribe=One-Click", "multipart/form-data"),
        (b"list-unsubscribe=one-click", FORM),
        (b"List-Unsubscribe=One-Click\xff", FORM),
        (b"List-Unsubscribe", FORM),
        _multipart([("List-Unsubscribe", "Nope")]),
        (_multipart([("List-Unsubscribe", "One-Click")])[0], "multipart/form-data; boundary=zz"),
        (b"List-Unsubscribe=One-Click" + b"&x=1" * 20000, FORM),
    ],
)
def test_anything_else_is_not_a_one_click_post(body, content_type):
    assert is_one_click_body(body, content_type) is False
