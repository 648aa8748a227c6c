"""The daily job lists what needs attention; the CLI reads through the gate and the audit log
(RIGHTS-12)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import AuditEntry
from keepfaith.inforce import in_force
from keepfaith.rights.daily import rights_daily
from keepfaith.rights.models import RightsRequest
from tests.rights.conftest import ask, signed_in


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.feature("rights.deadlines")
def test_the_daily_job_lists_overdue_soon_due_and_stalled_requests(
    alice: User, carol: User
) -> None:
    ask(signed_in(alice), "rectification", details="a")
    ask(signed_in(carol), "rectification", details="b")
    late, soon = RightsRequest.objects.order_by("pk")
    now = timezone.now()
    RightsRequest.objects.filter(pk=late.pk).update(
        due_at=now - dt.timedelta(days=1), last_step_at=now - dt.timedelta(days=10)
    )
    RightsRequest.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(days=3))
    out = rights_daily(policy=in_force().policy, now=now)
    assert f"overdue: {late.reference}" in out
    assert f"soon due: {soon.reference}" in out
    assert f"stalled: {late.reference}" in out


@pytest.mark.clause("RIGHTS-12")
def test_the_cli_lists_requests_as_an_audited_staff_read(alice: User, pat: User, bob: User) -> None:
    ask(signed_in(alice), "rectification", details="a")
    out = io.StringIO()
    call_command("rights", "list", "--as", pat.email, stdout=out)
    assert "Correction; Being handled; due " in out.getvalue()  # words, not codes
    assert AuditEntry.objects.filter(action="console.rights.queue", actor=pat.email).exists()
    with pytest.raises(CommandError, match="needs a request's reference"):
        call_command("rights", "show", "--as", pat.email)
    ref = RightsRequest.objects.get().reference
    # each carrying-out command is for its own kind: a correction is neither restricted,
    # erased nor made ready as a copy
    for action in ("ready", "erase", "restrict"):
        with pytest.raises(CommandError, match="a request of another kind"):
            call_command("rights", action, ref, "--as", pat.email)
    assert RightsRequest.objects.get().is_open
    with pytest.raises(CommandError, match="refused by the policy"):
        call_command("rights", "list", "--as", bob.email)
    # an extension says what it needs, in the words its help uses
    reads = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="needs --months 1 or 2"):
        call_command("rights", "extend", ref, "--reason", "x", "--as", pat.email)
    assert AuditEntry.objects.count() == reads  # refused before any read is recorded
    extended = io.StringIO()
    call_command(
        "rights", "extend", ref, "--months", "1", "--reason", "Many files", "--as", pat.email,
        stdout=extended,
    )  # fmt: skip
    assert f"{ref}: due " in extended.getvalue()


@pytest.mark.clause("RIGHTS-15")
def test_ready_puts_the_copy_in_the_customers_account_in_their_language(
    alice: User, pat: User
) -> None:
    from keepfaith.rights.services import request_open_signed_in

    alice.language = "da"
    alice.save()
    request, *_ = request_open_signed_in(
        customer=alice, kind="access", details="", language="da", policy=in_force().policy
    )
    out = io.StringIO()
    call_command("rights", "ready", request.reference, "--as", pat.email, stdout=out)
    request.refresh_from_db()
    assert request.state == "done"
    assert "Your data" not in request.outcome and request.outcome in out.getvalue()
    assert AuditEntry.objects.filter(action="console.rights.request", actor=pat.email).exists()


def test_the_demo_has_one_open_request_of_each_kind(alice: User, carol: User) -> None:
    from keepfaith.rights.demo import demo_requests

    first = demo_requests()
    again = demo_requests()
    kinds = sorted(RightsRequest.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        ["access", "rectification", "portability", "restriction", "erasure", "objection"]
    )
    assert len(first) == len(again) == 7
    assert RightsRequest.objects.get(kind="objection").state == "queued"
