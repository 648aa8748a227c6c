"""Restriction (Art. 18) and objection (Art. 21) as the gate enforces them for one subject."""

from __future__ import annotations

import pytest

from keepfaith.gate import RESTRICTION_KEY, ChoiceStatus, Gate, InMemoryChoices
from keepfaith.policy import Policy

EMAIL = ("user.contact.email",)
PROMOTIONS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
SECURITY = "essential.service.security"
ANNOUNCEMENTS = "essential.service.notifications.email"
BOOKKEEPING = "essential.legal_obligation.bookkeeping"


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.feature("rights.restriction.gate")
def test_a_restricted_subject_is_used_only_for_what_the_policy_permits(
    be_gate: Gate, choices: InMemoryChoices
) -> None:
    for subject in ("C-1", "C-2"):  # both said yes to the news (an empty box in the EU)
        choices.record(subject, PROMOTIONS, ChoiceStatus.GIVEN)
    choices.record("C-1", RESTRICTION_KEY, ChoiceStatus.OPTED_OUT)
    refused = be_gate.check(use=PROMOTIONS, categories=EMAIL, subject="C-1")
    assert refused.allowed is False
    assert "restricted the processing" in refused.reason
    transfer = be_gate.check(
        use="essential.service.certificate_validation",
        categories=("user.name",),
        subject="C-1",
        recipient="certificate-authority",
    )
    assert transfer.allowed is False
    kept = be_gate.check(use=BOOKKEEPING, categories=("user.name",), subject="C-1")
    assert kept.allowed is True
    told = be_gate.check(use=ANNOUNCEMENTS, categories=EMAIL, subject="C-1")
    assert told.allowed is True
    other = be_gate.check(use=PROMOTIONS, categories=EMAIL, subject="C-2")
    assert other.allowed is True


@pytest.mark.clause("RIGHTS-18")
def test_a_lifted_restriction_lets_the_uses_back(be_gate: Gate, choices: InMemoryChoices) -> None:
    choices.record("C-1", PROMOTIONS, ChoiceStatus.GIVEN)
    choices.record("C-1", RESTRICTION_KEY, ChoiceStatus.WITHDRAWN)
    assert be_gate.check(use=PROMOTIONS, categories=EMAIL, subject="C-1").allowed is True


@pytest.mark.clause("RIGHTS-21")
@pytest.mark.feature("rights.objection.gate")
def test_an_objection_stops_a_legitimate_interest_use_for_that_subject(
    be_policy: Policy, choices: InMemoryChoices
) -> None:
    """Even a use the service needs, when a policy offers the objection (``policy check``
    warns about that: what runs without asking the gate goes on)."""
    rights = be_policy.rights
    assert rights is not None
    offered = rights.model_copy(update={"objection_uses": (*rights.objection_uses, SECURITY)})
    be_gate = Gate.from_policy(be_policy.model_copy(update={"rights": offered}), choices)
    cats = ("user.unique_id",)
    assert be_gate.check(use=SECURITY, categories=cats, subject="C-1").allowed is True
    choices.record("C-1", SECURITY, ChoiceStatus.OPTED_OUT)
    refused = be_gate.check(use=SECURITY, categories=cats, subject="C-1")
    assert refused.allowed is False
    assert "objected" in refused.reason
    assert be_gate.check(use=SECURITY, categories=cats, subject="C-2").allowed is True
    choices.record("C-1", NEWSLETTER, ChoiceStatus.OPTED_OUT)
    assert be_gate.check(use=NEWSLETTER, categories=EMAIL, subject="C-1").allowed is False


def test_a_policy_without_rights_reads_no_restriction(
    qs_gate: Gate, choices: InMemoryChoices
) -> None:
    choices.record("C-1", RESTRICTION_KEY, ChoiceStatus.OPTED_OUT)
    decision = qs_gate.check(use=PROMOTIONS, categories=EMAIL, subject="C-1")
    assert "restricted" not in decision.reason
