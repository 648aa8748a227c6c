"""The gate for the policy in force writes its decisions about a subject to the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.versions.services import policy_publish_file


@pytest.mark.clause("QS-5")
def test_decisions_about_a_subject_are_audited(alice):
    gate = in_force().gate(actor=Actor.system("checkout"))
    allowed = gate.check(
        use="essential.service.payment_processing",
        categories=["user.financial.credit_card"],
        subject=alice.customer_number,
        recipient="payment-processor",
    )
    assert allowed.allowed is True
    with pytest.raises(PolicyViolation, match="never receives financial data"):
        gate.require(
            use="essential.service.payment_processing",
            categories=["user.financial.credit_card"],
            subject=alice.customer_number,
            recipient="affiliates",
        )
    entries = list(AuditEntry.objects.filter(action="gate.check").order_by("seq"))
    assert [e.outcome for e in entries] == ["allowed", "refused"]
    assert {e.subject for e in entries} == {alice.customer_number}
    assert entries[0].actor == "checkout"


def test_decisions_without_a_subject_are_not_audited(db):
    gate = in_force().gate(actor=Actor.system("test"))
    assert (
        gate.check(
            use="essential.service.payment_processing", categories=["user.financial.credit_card"]
        ).allowed
        is True
    )
    assert AuditEntry.objects.filter(action="gate.check").count() == 0


def test_the_gate_follows_the_published_version(alice):
    version, _ = policy_publish_file(path=Path("examples/qualispace/policy.yaml"))
    gate = in_force().gate(actor=Actor.system("test"))
    decision = gate.check(
        use="marketing.communications.email.partner_promotions",
        categories=["user.contact.email"],
        subject=alice.customer_number,
    )
    assert decision.allowed is False  # QualiSpace declares no partner promotions
    assert version.label == "2013.1"
