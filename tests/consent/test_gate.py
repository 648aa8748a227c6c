"""The gate reads the consent ledger: opt-in after consent only, opt-outs honoured."""

from __future__ import annotations

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.services import Actor
from keepfaith.consent.selectors import LedgerChoices
from keepfaith.consent.services import consent_record
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.inforce import in_force
from tests.consent.helpers import NEWSLETTER, PARTNER, allowed, gate

CA = "certificate-authority"
CA_CATEGORIES = ("user.name", "user.contact.email")


def _record(subject: str, key: str, event: str, source: str = "portal") -> None:
    consent_record(policy=in_force().policy, subject=subject, key=key, event=event, source=source)


def test_the_gate_in_force_reads_the_ledger(db):
    from keepfaith.inforce import in_force

    assert isinstance(in_force().gate(actor=Actor.system("test")).choices, LedgerChoices)


@pytest.mark.clause("BE-2")
def test_an_opt_in_use_is_refused_until_given_and_again_after_withdrawal(published, carol):
    subject = carol.customer_number
    assert allowed(subject, PARTNER) is False
    _record(subject, PARTNER, "given", "form:newsletter-signup")
    assert allowed(subject, PARTNER) is True
    _record(subject, PARTNER, "withdrawn", "one-click")
    decision = gate().check(use=PARTNER, categories=("user.contact.email",), subject=subject)
    assert decision.allowed is False
    assert decision.choice_state is not None
    assert decision.choice_state.status is ChoiceStatus.WITHDRAWN
    assert "declined" in decision.reason
    audited = AuditEntry.objects.filter(subject=subject, use=PARTNER).order_by("seq")
    assert list(audited.values_list("outcome", flat=True)) == ["refused", "allowed", "refused"]


@pytest.mark.clause("BE-2")
def test_one_customers_consent_is_not_anothers(published, alice, carol):
    _record(carol.customer_number, PARTNER, "given")
    assert allowed(carol.customer_number, PARTNER) is True
    assert allowed(alice.customer_number, PARTNER) is False


@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-8")
def test_an_opt_out_is_honoured_and_can_be_undone(published, alice):
    subject = alice.customer_number
    categories = ("user.contact.email", "user.name")
    # opt-out uses, but in Denmark asked with an empty box: not asked is not yet a yes
    assert allowed(subject, NEWSLETTER, categories) is False
    _record(subject, "marketing.communications.email", "opted-in", "signup")
    _record(subject, NEWSLETTER, "opted-in", "signup")
    assert allowed(subject, NEWSLETTER, categories) is True
    _record(subject, NEWSLETTER, "opted-out", "email")
    assert allowed(subject, NEWSLETTER, categories) is False
    assert allowed(subject, "marketing.communications.email", categories) is True  # other use
    _record(subject, NEWSLETTER, "opted-in", "portal")
    assert allowed(subject, NEWSLETTER, categories) is True


@pytest.mark.clause("BE-10")
def test_an_outside_party_gets_data_only_after_the_go_ahead(published, carol):
    subject = carol.customer_number
    use = "essential.service.certificate_validation"

    def to_ca() -> bool:
        return (
            gate().check(use=use, categories=CA_CATEGORIES, subject=subject, recipient=CA).allowed
        )

    assert to_ca() is False
    _record(subject, f"outside_party:{CA}", "notice-acknowledged", "checkout")
    assert to_ca() is False  # seeing the notice is not a go-ahead
    _record(subject, f"outside_party:{CA}", "given", "checkout")
    assert to_ca() is True


def test_a_ledger_snapshot_reads_each_subject_once(published, alice, django_assert_num_queries):
    _record(alice.customer_number, NEWSLETTER, "opted-out")
    choices = LedgerChoices()
    with django_assert_num_queries(2):  # the versions asking for re-consent, the subject's rows
        for key in (NEWSLETTER, PARTNER, NEWSLETTER):
            choices.choice_for(alice.customer_number, key)
    assert choices.choice_for(alice.customer_number, NEWSLETTER).status is ChoiceStatus.OPTED_OUT
    choices.forget()
    _record(alice.customer_number, NEWSLETTER, "opted-in")
    assert choices.choice_for(alice.customer_number, NEWSLETTER).status is ChoiceStatus.GIVEN
