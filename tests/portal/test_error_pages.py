"""Styled error pages in the visitor's language, and no traceback for a crafted request
(issue 15.5: a form post labelled ``charset=utf-16`` was a 500 with a traceback)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from tests.conftest import verified_client, without_random_tokens

STYLED = b'<link rel="stylesheet" href="/static/keepfaith/site.css">'
UTF16 = "application/x-www-form-urlencoded; charset=utf-16"


def _csrf_client() -> tuple[Client, str]:
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.get("/support/request/")
    return client, client.cookies["csrftoken"].value


def _clean_error_page(response: Any, status: int) -> str:
    body = without_random_tokens(str(response.content.decode()))
    assert response.status_code == status, body[:500]
    assert STYLED.decode() in body
    assert "Traceback" not in body and "django." not in body
    return body


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("url", ["/support/request/", "/account/login/", "/console/login/", "/"])
def test_a_form_post_in_utf16_is_a_styled_400(published, settings, debug, url):
    settings.DEBUG = debug
    client, token = _csrf_client()
    response = client.post(url, data=b"email=a%40b.c", content_type=UTF16, HTTP_X_CSRFTOKEN=token)
    body = _clean_error_page(response, 400)
    assert "We could not read that request" in body


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=no-such-charset",
        "multipart/form-data",  # no boundary
        "multipart/form-data; boundary=x",  # a body that does not follow it
    ],
)
def test_other_unreadable_bodies_are_400_too(published, content_type):
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST", "/support/request/", b"--y\r\n\xff\xfe", content_type=content_type
    )
    assert response.status_code in (200, 400)  # a parser that reads nothing leaves an empty form
    assert "Traceback" not in response.content.decode()


def test_a_form_larger_than_the_site_accepts_is_said_so_in_the_reader_s_language(
    published, settings
):
    """Not "we could not read that request": what was too large, the limit, and what to do."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    body = {"summary": "x", "description": "y" * 3_000_000}
    response = Client(raise_request_exception=False).post("/da/support/request/", body)
    assert response.status_code == 413
    page = response.content.decode()
    assert "2,5\xa0MB" in page and "Intet blev gemt" in page
    assert "We could not read" not in page and "Vi kunne ikke læse" not in page


def test_a_view_can_still_read_the_raw_body_after_the_parse(published):
    """The one-click unsubscribe view reads ``request.body`` itself: still possible."""
    response = Client().post("/unsubscribe/not-a-token/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404  # an invalid token, answered by the view itself


def test_404_in_english_and_danish(published):
    english = _clean_error_page(Client().get("/no-such-page/"), 404)
    assert '<html lang="en">' in english and "This page does not exist" in english
    danish = _clean_error_page(Client().get("/da/no-such-page/"), 404)
    assert '<html lang="da">' in danish


def test_a_forgery_token_failure_is_the_styled_403(published):
    client = Client(enforce_csrf_checks=True)
    body = _clean_error_page(client.post("/support/request/", {"email": "x@example.com"}), 403)
    assert "without the token" in body


def test_a_role_without_the_permission_gets_the_styled_403(bob, published):
    body = _clean_error_page(verified_client(bob).get("/console/campaigns/"), 403)
    assert "This page is not open to your role" in body  # the console's own 403
    assert "It needs the role: marketing, administrator." in body


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.portal.errorurls"


def test_a_bug_in_a_view_is_the_styled_500_without_internals(published, failing_urls):
    body = _clean_error_page(Client(raise_request_exception=False).get("/boom/"), 500)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "4242" not in body
    # the company's name, not the software's; an account link that suits anyone
    assert "<title>Something went wrong · QualitySSL</title>" in body
    assert ">keepfaith<" not in body and "Log in" not in body and "My account" in body


def test_an_error_page_renders_even_when_a_context_processor_fails(published, settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append("tests.portal.test_error_pages.broken")
    settings.TEMPLATES = templates
    response = Client(raise_request_exception=False).get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def broken(request: Any) -> dict[str, object]:
    raise RuntimeError("a context processor that fails")


def test_a_request_django_cannot_build_is_a_400_from_the_wsgi_application(published):
    """A charset with an embedded NUL made WSGIRequest() itself raise: a bare 500."""
    import io

    from keepfaith.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/support/request/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b"email=x"),
        "CONTENT_LENGTH": "7",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8\x00",
    }
    started: list[str] = []
    body = b"".join(application(environ, lambda status, headers: started.append(status)))
    assert started == ["400 Bad Request"]
    assert b"We could not read that request" in body and b"Traceback" not in body
