"""Hypothesis fuzzing of the request parser: random methods, content types, charsets, bodies,
headers and cookies against real URLs. No request a client can craft gets a 500 or a
traceback (issue 15.5)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.portal.errors import environ_refusal, error_page

URLS = [
    "/",
    "/da/",
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
    "/account/contact/",
    "/support/request/",
    "/cookies/",
    "/cart/",
    "/checkout/",
    "/shop/qualityssl/",
    "/privacy/",
    "/console/login/",
    "/console/verify/",
    "/unsubscribe/not-a-token/",
    "/no-such-page/",
]
METHODS = ["GET", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CHARSETS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1", "ascii", "cp1252", "x-bogus",
            "", "utf-8\x00", "ISO-2022-JP", "..", "utf-7"]  # fmt: skip
MEDIA = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
         "application/json", "application/octet-stream", "", "multipart/mixed", "*/*",
         "application/x-www-form-urlencoded; x"]  # fmt: skip
SAFE_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"), max_size=60
)
FIELDS = st.sampled_from(
    ["email", "username", "password", "csrfmiddlewaretoken", "choice", "next", "product",
     "action", "quantity", "card_number", "security_code", "List-Unsubscribe", "scope", "token",
     "full_name", "summary", "checkout_token"]
)  # fmt: skip


@st.composite
def content_types(draw: Any) -> str:
    media = draw(st.sampled_from(MEDIA))
    params = []
    if draw(st.booleans()):
        params.append(f"charset={draw(st.sampled_from(CHARSETS))}")
    if media.startswith("multipart") and draw(st.booleans()):
        boundary = draw(st.sampled_from(["x", "b0undary", "", "-" * 80, '"q"']))
        params.append(f"boundary={boundary}")
    return "; ".join([media, *params])


@st.composite
def bodies(draw: Any, content_type: str) -> bytes:
    kind = draw(st.sampled_from(["form", "multipart", "raw", "empty"]))
    if kind == "raw":
        return bytes(draw(st.binary(max_size=300)))
    if kind == "empty":
        return b""
    pairs = draw(st.lists(st.tuples(FIELDS, SAFE_TEXT), max_size=6))
    charset = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    if kind == "form":
        text = "&".join(f"{k}={v}" for k, v in pairs)
        return text.encode(charset, errors="replace")
    boundary = content_type.partition("boundary=")[2] or "x"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in pairs
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(charset, errors="replace")


LANGUAGES = st.sampled_from(["da", "en", "*", "da;q=x", "zz-ZZ"])
FORWARDED = st.sampled_from(["1.2.3.4", "::1", "x, y", ""])
HOSTS = st.sampled_from(["127.0.0.1", "localhost", "evil.example", "[::1]:80", "", "a b"])
COOKIE_NAMES = st.sampled_from(
    ["sessionid", "csrftoken", "cart", "kf_consent", "kf_campaign", "kf_returning", "x"]
)
COOKIE_VALUES = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=";,"), max_size=80
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_ACCEPT_LANGUAGE": st.one_of(LANGUAGES, SAFE_TEXT),
        "HTTP_SEC_GPC": st.sampled_from(["1", "0", "yes", ""]),
        "HTTP_X_FORWARDED_FOR": st.one_of(FORWARDED, SAFE_TEXT),
        "HTTP_REFERER": SAFE_TEXT,
        "HTTP_USER_AGENT": SAFE_TEXT,
        "HTTP_HOST": HOSTS,
        "HTTP_COOKIE": st.lists(st.tuples(COOKIE_NAMES, COOKIE_VALUES), max_size=4).map(
            lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs)
        ),
        "CONTENT_LENGTH": st.sampled_from(["0", "-1", "x", "99999999999"]),
    },
)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    content_type = draw(content_types())
    return {
        "method": draw(st.sampled_from(METHODS)),
        "path": draw(st.sampled_from(URLS)),
        "query": draw(st.one_of(st.just(""), SAFE_TEXT.map(lambda t: "?" + t))),
        "content_type": content_type,
        "body": draw(bodies(content_type)),
        "headers": draw(HEADERS),
    }


class GuardedClientHandler(ClientHandler):
    """The test client's handler with the guard ``keepfaith.wsgi`` puts in front of Django."""

    def __call__(self, environ: dict[str, Any]) -> Any:
        if environ_refusal(environ) is not None:
            response = error_page(None, 400, {})
            response.wsgi_request = None  # type: ignore[attr-defined]
            return response
        return super().__call__(environ)


def guarded_client(**kwargs: Any) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.handler = GuardedClientHandler(kwargs.get("enforce_csrf_checks", False))
    return client


def _send(client: Client, request: dict[str, Any]) -> Any:
    return client.generic(
        request["method"],
        request["path"] + request["query"],
        request["body"],
        content_type=request["content_type"],
        **request["headers"],
    )


@pytest.mark.clause("QS-3")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_no_crafted_request_gets_a_500_or_a_traceback(published, request):
    client = guarded_client()
    response = _send(client, request)
    body = response.content.decode("utf-8", errors="replace")
    assert response.status_code < 500, (request, body[:300])
    assert "Traceback" not in body, request


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_the_same_as_a_signed_in_customer_with_forgery_checks(alice, published, request):
    client = guarded_client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/support/request/")
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    request["headers"] = {**request["headers"], "HTTP_X_CSRFTOKEN": token}
    request["headers"].pop("HTTP_COOKIE", None)
    response = _send(client, request)
    assert response.status_code < 500, request
    assert "Traceback" not in response.content.decode("utf-8", errors="replace")
