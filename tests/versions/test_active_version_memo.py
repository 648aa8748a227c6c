"""The version in force is looked up once per request, and a publish counts at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, path

from keepfaith.accounts.models import User
from keepfaith.demo import earlier_policy_text
from keepfaith.inforce import in_force
from keepfaith.versions.selectors import active_version, active_version_memo
from keepfaith.versions.services import policy_publish, policy_publish_file
from tests.conftest import verified_client

BE = Path("examples/qualityssl/policy.yaml")


def _earlier() -> str:
    return earlier_policy_text(BE.read_text(encoding="utf-8")) or ""


def _hashes_in_force() -> dict[str, str | None]:
    """What every reader of the policy in force sees right now."""
    version = active_version()
    now = in_force()
    policy, pair_version = now.policy, now.version
    return {
        "version": version.content_hash if version else None,
        "pair": pair_version.content_hash if pair_version else None,
        "policy": policy.version,
    }


def publish_mid_request(request: HttpRequest) -> JsonResponse:
    """Reads the version in force, publishes the BE policy as the command does, reads again."""
    before = _hashes_in_force()
    call_command("policy", "publish", str(BE))
    return JsonResponse({"before": before, "after": _hashes_in_force()})


urlpatterns: list[URLPattern] = [path("publish-mid-request/", publish_mid_request)]


def _version_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if '"versions_policyversion"' in q["sql"]]


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/"),
        (None, "/privacy/"),
        (None, "/da/privacy/"),
        ("alice", "/account/"),
        ("pat", "/console/"),
        ("pat", "/console/customers/"),
    ],
)
def test_a_page_looks_the_version_in_force_up_once(
    published: Any, alice: User, pat: User, who: str | None, url: str
) -> None:
    browser = {None: Client(), "alice": _signed_in(alice), "pat": verified_client(pat)}[who]
    _version_queries(browser, url)  # the first read of a version loads its text, once a process
    assert len(_version_queries(browser, url)) == 1
    assert len(_version_queries(browser, url)) == 1  # each request looks it up again


def _signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_outside_a_request_every_read_asks_the_database(
    published: Any, django_assert_num_queries: Any
) -> None:
    active_version()  # a version seen for the first time is loaded once a process
    with django_assert_num_queries(2):
        active_version()
        active_version()


@pytest.mark.clause("BE-11")
def test_a_publish_between_two_requests_counts_from_the_next_one(db: Any) -> None:
    earlier, _ = policy_publish(source=_earlier())
    browser = Client()
    assert browser.get("/privacy.json").json()["content_hash"] == earlier.content_hash
    assert "version 2023.1" in browser.get("/privacy/").content.decode()

    newer, created = policy_publish_file(path=BE)

    assert created is True
    assert browser.get("/privacy.json").json()["content_hash"] == newer.content_hash
    assert "version 2024.1" in browser.get("/privacy/").content.decode()


@pytest.mark.clause("BE-11")
@pytest.mark.urls(__name__)
def test_a_publish_inside_a_request_counts_for_the_rest_of_it(db: Any) -> None:
    earlier, _ = policy_publish(source=_earlier())

    seen = Client().get("/publish-mid-request/").json()

    newer = active_version()
    assert newer is not None and newer.content_hash != earlier.content_hash
    old = {"version": earlier.content_hash, "pair": earlier.content_hash, "policy": "2023.1"}
    new = {"version": newer.content_hash, "pair": newer.content_hash, "policy": "2024.1"}
    assert seen == {"before": old, "after": new}


@pytest.mark.clause("BE-11")
def test_a_publish_rolled_back_inside_a_request_leaves_the_old_version(db: Any) -> None:
    earlier, _ = policy_publish(source=_earlier())
    with active_version_memo():
        assert _hashes_in_force()["version"] == earlier.content_hash
        with pytest.raises(RuntimeError, match="changed our mind"), transaction.atomic():
            newer, _ = policy_publish_file(path=BE)
            assert _hashes_in_force()["version"] == newer.content_hash
            raise RuntimeError("changed our mind")
        assert _hashes_in_force() == {
            "version": earlier.content_hash,
            "pair": earlier.content_hash,
            "policy": "2023.1",
        }


def test_the_memo_ends_with_the_request(published: Any) -> None:
    with active_version_memo():
        inside = active_version()
        with CaptureQueriesContext(connection) as queries:
            assert active_version() is inside
        assert queries.captured_queries == []
    with CaptureQueriesContext(connection) as queries:
        active_version()
    assert len(queries.captured_queries) == 1
