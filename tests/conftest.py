"""Shared fixtures: the personas (customers alice and carol; staff bob, pat, ada) and clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from keepfaith.accounts.models import User
from keepfaith.accounts.services import staff_create
from keepfaith.audit.services import Actor

PASSWORD = "correct horse battery staple"


# The outside checks (`make outside`, issue 15): besides tests/outside/ (every URL against
# every persona, hostile input to every form), these modules and every fuzz test.
OUTSIDE_MODULES = {
    "tests/vault/test_no_card_at_rest.py",  # card-number and security-code byte scans
    "tests/vault/test_log_servers.py",
    "tests/vault/test_scrub.py",
    "tests/portal/test_isolation.py",
    "tests/portal/test_error_pages.py",
    "tests/portal/test_no_store.py",
    "tests/accounts/test_throttle_identity.py",
    "tests/accounts/test_staff_reset.py",
    "tests/accounts/test_email_change.py",
    "tests/console/test_session_rotation.py",
    "tests/console/test_throttling.py",
    "tests/test_settings.py",
    "tests/test_regex_linear.py",
    "tests/comms/test_linear.py",
}


def _outside(item: pytest.Item) -> bool:
    path = item.path.relative_to(item.config.rootpath).as_posix()
    return path in OUTSIDE_MODULES or "fuzz" in item.path.name or path.startswith("tests/outside/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if _outside(item):
            item.add_marker(pytest.mark.outside)


@pytest.fixture(autouse=True)
def _strict_cookie_guard(settings: Any) -> None:
    """Under tests a cookie the guard blocks fails the test instead of only being reported."""
    settings.KEEPFAITH_COOKIE_GUARD_STRICT = True


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language. A request to a /da/ page or by a
    Danish staff member activates Danish for the worker's thread, and nothing resets it: the
    next test on that xdist worker then read Danish messages where it expected English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _payment_books_in_memory(settings: Any) -> None:
    """The local test processor keeps its books in memory under tests (never var/'s file, which
    would carry idempotency keys from one run to the next); a test may opt in to a file."""
    settings.PAYMENT_TEST_LEDGER = None


@pytest.fixture
def alice(db: Any) -> User:
    return User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice Andersen")


@pytest.fixture
def carol(db: Any) -> User:
    return User.objects.create_user("carol@example.com", PASSWORD, full_name="Carol Christensen")


@pytest.fixture
def published(db: Any) -> Any:
    """The BE example policy (examples/qualityssl, Denmark) published: the version in force."""
    from pathlib import Path

    from keepfaith.versions.services import policy_publish_file

    path = Path(__file__).resolve().parents[1] / "examples" / "qualityssl" / "policy.yaml"
    return policy_publish_file(path=path)[0]


def make_staff(email: str, role: str) -> User:
    user, _ = staff_create(
        email=email, password=PASSWORD, roles=[role], actor=Actor.system("test"), replace=True
    )
    return user


@pytest.fixture
def bob(db: Any) -> User:
    """Support agent."""
    return make_staff("bob@staff.example", "support")


@pytest.fixture
def pat(db: Any) -> User:
    """Privacy officer."""
    return make_staff("pat@staff.example", "privacy officer")


@pytest.fixture
def mia(db: Any) -> User:
    """Marketing."""
    return make_staff("mia@staff.example", "marketing")


def verified_client(user: User) -> Client:
    """A client signed in as ``user`` with the second factor already passed."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id  # type: ignore[attr-defined]
    session.save()
    return client


_triggers_dropped = False


@pytest.fixture
def flushable_chains(transactional_db: Any) -> Any:
    """For transactional tests on chained tables: lets the teardown flush empty them."""
    from django.db import connection

    from keepfaith.audit.triggers import append_only_tables, drop_append_only

    global _triggers_dropped
    yield
    for table in append_only_tables():
        drop_append_only(connection, table)
    _triggers_dropped = True


@pytest.fixture(autouse=True)
def _transactional_flush(request: pytest.FixtureRequest) -> None:
    """Every transactional test (live server, parallel writers) can be flushed afterwards."""
    if {"transactional_db", "live_server"} & set(request.fixturenames) or (
        (marker := request.node.get_closest_marker("django_db"))
        and marker.kwargs.get("transaction")
    ):
        request.getfixturevalue("flushable_chains")


@pytest.fixture(autouse=True)
def _restore_append_only(django_db_blocker: Any) -> None:
    """Put the append-only triggers back after a test that dropped them for its flush."""
    global _triggers_dropped
    if not _triggers_dropped:
        return
    from django.db import connection

    from keepfaith.audit.triggers import append_only_tables, create_append_only

    with django_db_blocker.unblock():
        for table in append_only_tables():
            create_append_only(connection, table)
    _triggers_dropped = False


_RANDOM_TOKENS = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')


def relabelled(policy_text: str, label: str = "9999.1") -> str:
    """A policy file's text under another version label: a changed policy is published as
    a new version, never under a label that is published already."""
    text, count = re.subn(r"^version: .*$", f'version: "{label}"', policy_text, count=1, flags=re.M)
    assert count == 1, "the policy text has no version line"
    return text


def without_random_tokens(body: str) -> str:
    """A page without its forgery token and nonces: random text in which a short secret
    ("4242", a card's last four) turns up by chance now and then."""
    return _RANDOM_TOKENS.sub("", body)
