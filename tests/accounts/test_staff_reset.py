"""A staff password is reset staff-side, never through the customer "lost password" page
(issue 15.8)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keepfaith.accounts.models import User
from keepfaith.comms.delivery import deliver_pending
from tests.conftest import PASSWORD


@pytest.mark.clause("QS-3")
@pytest.mark.parametrize("spelling", ["bob@staff.example", "BOB@Staff.Example"])
def test_the_customer_reset_page_sends_nothing_for_a_staff_address(bob, published, spelling):
    client = Client()
    staff = client.post("/account/password/reset/", {"email": spelling})
    unknown = client.post("/account/password/reset/", {"email": "nobody@example.com"})
    assert staff.status_code == unknown.status_code == 302
    assert staff["Location"] == unknown["Location"] == "/account/password/reset/sent/"
    deliver_pending()
    assert mail.outbox == []


def test_a_customer_address_in_other_capitals_still_gets_its_link(alice, published):
    Client().post("/account/password/reset/", {"email": "ALICE@example.com"})
    deliver_pending()  # the outbox, as the mail worker sends it (here after the test's commit)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


@pytest.mark.clause("QS-3")
def test_a_reset_link_for_a_staff_account_is_refused(bob, published):
    """Even a correctly signed link (made some other way) does not reset a staff password."""
    uid = urlsafe_base64_encode(force_bytes(bob.pk))
    token = default_token_generator.make_token(bob)
    client = Client()
    page = client.get(f"/account/password/reset/{uid}/{token}/", follow=True)
    assert "This link does not work" in page.content.decode()
    client.post(
        f"/account/password/reset/{uid}/set-password/",
        {"new_password1": "taken over at last", "new_password2": "taken over at last"},
    )
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD) is True


def test_staff_reset_password_command_sets_a_new_one_and_ends_sessions(bob):
    from tests.conftest import verified_client

    console = verified_client(bob)
    assert console.get("/console/").status_code == 200
    out = io.StringIO()
    call_command("staff", "reset-password", "BOB@staff.example", stdout=out)
    new_password = out.getvalue().split("password (shown once): ")[1].strip()
    bob.refresh_from_db()
    assert bob.check_password(new_password) is True
    assert bob.check_password(PASSWORD) is False
    assert console.get("/console/").status_code == 302  # the old session is over


@pytest.mark.clause("QS-3")
def test_every_staff_account_change_from_the_command_is_audited_without_secrets(db, alice):
    from django.core.management.base import CommandError

    from keepfaith.audit.models import AuditEntry

    out = io.StringIO()
    call_command("staff", "add", "walt@staff.example", "--role", "support", stdout=out)
    password = out.getvalue().split("password (shown once): ")[1].split()[0]
    with pytest.raises(CommandError, match=r"already a staff account.*--replace"):
        call_command("staff", "add", "walt@staff.example", "--role", "billing", stdout=out)
    walt = User.objects.get(email="walt@staff.example")
    assert walt.role_names == ["support"] and walt.check_password(password)  # untouched
    with pytest.raises(CommandError, match="customer's account"):
        call_command("staff", "add", alice.email, "--role", "support", stdout=out)
    alice.refresh_from_db()
    assert not alice.is_staff
    call_command("staff", "add", "walt@staff.example", "--role", "billing", "--replace", stdout=out)
    call_command("staff", "reset-password", "walt@staff.example", stdout=out)
    call_command("staff", "reset-otp", "walt@staff.example", stdout=out)
    entries = AuditEntry.objects.filter(action__startswith="accounts.staff.").order_by("seq")
    assert [e.action for e in entries] == [
        "accounts.staff.add",
        "accounts.staff.replace",
        "accounts.staff.password",
        "accounts.staff.authenticator",
    ]
    assert {e.detail["account"] for e in entries} == {"walt@staff.example"}
    assert entries[1].detail["roles_before"] == ["support"]
    assert entries[1].detail["roles"] == ["billing"]
    assert all(e.actor.startswith("keepfaith staff (run by ") for e in entries)
    printed = out.getvalue()
    secrets = [line.split(": ", 1)[1] for line in printed.splitlines() if "shown once" in line]
    stored = str([e.detail for e in entries])
    assert secrets and not any(secret in stored for secret in secrets)
    assert "otpauth" not in stored
