"""The request's session, signed-in user, CSP header, no-store headers, GPC signal and
language, each read or written the fast way (keepfaith.accounts.sessions,
keepfaith.accounts.backends, keepfaith.portal.csp, keepfaith.portal.nostore,
keepfaith.cookies.gpc, keepfaith.portal.pathlanguage), must be exactly what Django's and
django-csp's own code gives; and a plain page costs a signed-in customer no more
queries than the version in force, the session row and the user row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from csp.utils import build_policy
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import deactivate, get_language, get_language_from_path

from keepfaith.accounts.backends import ModelBackend
from keepfaith.accounts.sessions import SessionStore
from keepfaith.cookies.gpc import gpc_signal
from keepfaith.portal.csp import CSPMiddleware
from keepfaith.portal.nostore import never_cache_headers
from keepfaith.portal.pathlanguage import LocaleMiddleware, path_language
from tests.conftest import PASSWORD


def plain(request: HttpRequest) -> HttpResponse:
    """A view that reads nothing: what a request costs before any page's own work."""
    return HttpResponse("<!doctype html><title>plain</title>")


urlpatterns = [path("plain/", plain)]


def test_a_session_loads_as_django_loads_it(db):
    django_store = DjangoSessionStore()
    django_store["cart"] = {"ssl-basic": 2}
    django_store["_auth_user_id"] = "7"
    django_store.create()
    assert (
        SessionStore(django_store.session_key).load()
        == DjangoSessionStore(django_store.session_key).load()
    )
    assert SessionStore(django_store.session_key)["cart"] == {"ssl-basic": 2}


@pytest.mark.parametrize("key", ["nosuchsessionkeyxxxxxxxxxxxxxxxx", "", "short", "x" * 500])
def test_an_unknown_or_malformed_session_key_is_an_empty_session(db, key):
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None


def test_an_expired_session_is_an_empty_session(db):
    store = SessionStore()
    store["_auth_user_id"] = "7"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert SessionStore(store.session_key).load() == {}


def test_the_signed_in_user_is_the_one_django_loads(alice):
    ours, django = ModelBackend().get_user(alice.pk), DjangoModelBackend().get_user(alice.pk)
    assert ours == django == alice
    assert {f.attname: getattr(ours, f.attname) for f in alice._meta.concrete_fields} == {
        f.attname: getattr(django, f.attname) for f in alice._meta.concrete_fields
    }
    assert ModelBackend().get_user(10**9) is None
    assert ModelBackend().get_user("not a number") is None
    alice.is_active = False
    alice.save()
    assert ModelBackend().get_user(alice.pk) is None


def test_a_customer_signs_in_and_stays_signed_in(alice):
    client = Client()
    response = client.post("/account/login/", {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    client.post("/account/logout/")
    assert client.get("/account/").status_code == 302


def _respond(response: HttpResponse):
    request = RequestFactory().get("/privacy/")
    middleware = CSPMiddleware(lambda _: response)
    return middleware(request)


def test_the_csp_header_is_the_one_django_csp_builds(db):
    assert _respond(HttpResponse())["Content-Security-Policy"] == build_policy()
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert _respond(HttpResponse())["Content-Security-Policy"] == "default-src 'none'"
    assert _respond(HttpResponse())["Content-Security-Policy"] == build_policy()


def test_per_view_csp_changes_still_apply(db):
    exempt = HttpResponse()
    exempt._csp_exempt = True  # type: ignore[attr-defined]
    assert "Content-Security-Policy" not in _respond(exempt)
    updated = HttpResponse()
    updated._csp_update = {"img-src": ["https://logo.example"]}  # type: ignore[attr-defined]
    assert "https://logo.example" in _respond(updated)["Content-Security-Policy"]


def test_the_signed_in_user_keeps_every_column_type(alice):
    alice.last_login = timezone.now()
    alice.save()
    user = ModelBackend().get_user(str(alice.pk))
    assert user.last_login == alice.last_login and user.last_login.tzinfo is not None
    assert user.is_active is True and user.is_staff is False
    assert user._state.adding is False and user._state.db == "default"
    assert user.get_session_auth_hash() == alice.get_session_auth_hash()


def _queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@override_settings(ROOT_URLCONF=__name__)
def test_a_signed_in_request_to_a_plain_page_makes_three_queries(alice, published):
    client = Client()
    client.force_login(alice)
    _queries(client, "/plain/")  # a version seen for the first time is loaded once a process
    sql = _queries(client, "/plain/")
    assert len(sql) == 3, sql
    assert '"versions_policyversion"' in sql[0]
    assert '"django_session"' in sql[1]
    assert '"accounts_user"' in sql[2]
    assert all(q.startswith("SELECT") for q in sql)  # nothing is written on a page view
    assert len(_queries(client, "/plain/")) == 3
    assert len(_queries(Client(), "/plain/")) == 1  # anonymous: the version in force only


@pytest.mark.clause("QS-3")
@override_settings(ROOT_URLCONF=__name__)
def test_a_signed_in_plain_page_is_no_store_and_a_changed_user_is_read_afresh(alice, published):
    client = Client()
    client.force_login(alice)
    response = client.get("/plain/")
    assert "no-store" in response["Cache-Control"] and "Expires" in response
    alice.set_password("another long enough secret")  # signs every session out
    alice.save()
    response = client.get("/plain/")
    assert "Cache-Control" not in response  # no longer signed in: nothing personal to keep


def test_the_no_store_headers_are_the_ones_django_writes():
    ours, django = HttpResponse(), HttpResponse()
    never_cache_headers(ours)
    add_never_cache_headers(django)
    assert ours["Cache-Control"] == django["Cache-Control"]
    assert ours["Expires"][:-3] == django["Expires"][:-3]  # the same date, to the minute
    for headers in ({"Cache-Control": "public, max-age=600"}, {"Expires": "0"}):
        ours, django = HttpResponse(headers=headers), HttpResponse(headers=headers)
        never_cache_headers(ours)
        add_never_cache_headers(django)
        assert ours["Cache-Control"] == django["Cache-Control"]
        assert "no-store" in ours["Cache-Control"]


@pytest.mark.parametrize(
    ("value", "signal"), [("1", True), (" 1 ", True), ("0", False), ("", False), ("yes", False)]
)
def test_gpc_is_read_as_request_headers_reads_it(value, signal):
    request = RequestFactory().get("/", headers={"Sec-GPC": value})
    assert gpc_signal(request) is signal
    assert (request.headers.get("Sec-GPC", "").strip() == "1") is signal
    assert gpc_signal(RequestFactory().get("/")) is False


def test_a_remembered_session_is_decoded_as_django_decodes_it_and_never_shared(db):
    store = SessionStore()
    store["cart"] = {"ssl-basic": 2}
    store["_auth_user_id"] = "7"
    store.create()
    raw = Session.objects.get(session_key=store.session_key).session_data
    first, second = SessionStore().decode(raw), SessionStore().decode(raw)  # second: remembered
    assert first == second == DjangoSessionStore().decode(raw)
    second["cart"]["ssl-basic"] = 99  # a view changing its session changes no other request's
    assert SessionStore().decode(raw)["cart"] == {"ssl-basic": 2}


def test_a_remembered_session_still_needs_its_signature_and_its_row(db):
    store = SessionStore()
    store["_auth_user_id"] = "7"
    store.create()
    raw = Session.objects.get(session_key=store.session_key).session_data
    assert SessionStore(store.session_key).load() == {"_auth_user_id": "7"}
    assert SessionStore().decode(raw[:-2] + ("AA" if raw[-2:] != "AA" else "BB")) == {}
    with override_settings(SECRET_KEY="another secret key of fifty or more characters 0123456"):
        assert SessionStore().decode(raw) == {}  # signed with a key no longer known
    assert SessionStore().decode(raw) == {"_auth_user_id": "7"}
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert SessionStore(store.session_key).load() == {}  # expiry is the row's, read each time
    Session.objects.filter(session_key=store.session_key).delete()
    assert SessionStore(store.session_key).load() == {}


def _language_seen(middleware_class, request, status):
    seen: dict[str, object] = {}

    def view(request):
        seen["active"], seen["request"] = get_language(), request.LANGUAGE_CODE
        return HttpResponse(status=status)

    response = middleware_class(view)(request)
    seen["headers"] = {k: v for k, v in response.items() if k != "Content-Type"}
    seen["status"] = response.status_code
    deactivate()
    return seen


@pytest.mark.parametrize(
    "urlconf", ["keepfaith.urls", "tests.portal.test_fast_paths", "tests.portal.prefixedurls"]
)
@pytest.mark.parametrize(
    "url", ["/", "/account/", "/da/", "/da/privacy/", "/en/plain/", "/plain/", "/x/", "/de/"]
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Accept-Language": "da-DK,da;q=0.9"},
        {"Accept-Language": "de"},
        {"Cookie": "django_language=da"},
        {"Accept-Language": "*"},
    ],
)
@pytest.mark.parametrize("status", [200, 404])
def test_the_language_is_the_one_djangos_middleware_picks(urlconf, url, headers, status):
    request = RequestFactory().get(url, headers=headers)
    request.urlconf = urlconf  # type: ignore[attr-defined]
    ours = _language_seen(LocaleMiddleware, request, status)
    request = RequestFactory().get(url, headers=headers)
    request.urlconf = urlconf  # type: ignore[attr-defined]
    assert ours == _language_seen(DjangoLocaleMiddleware, request, status)
    assert path_language(url) == get_language_from_path(url)
