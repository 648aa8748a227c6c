"""State one test leaves in its worker process does not reach the next test (pytest -n 2)."""

from __future__ import annotations

from django.test import Client
from django.utils import translation


def test_a_danish_page_leaves_danish_active_in_the_thread(published):
    """Runs first in this module: leaves what a Danish request leaves (the next test checks
    that it does not carry over)."""
    assert Client().get("/da/privacy/").status_code == 200
    assert translation.get_language() == "da"


def test_the_next_test_starts_in_the_default_language(db):
    from django.core.exceptions import ValidationError

    from keepfaith.accounts.models import User

    assert translation.get_language() == "en"
    User.objects.create_user("dup@example.com", "x" * 20)
    try:
        User(email="dup@example.com", customer_number="KF-00000-00000").validate_unique()
    except ValidationError as error:
        assert "already exists" in str(error)
    else:
        raise AssertionError("a second user with the same address was not refused")
