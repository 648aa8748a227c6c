"""The gate's rules, each test marked with the promise it guards."""

from __future__ import annotations

from typing import Any

import pytest

from keepfaith.gate import (
    ChoiceStatus,
    Decision,
    Gate,
    InMemoryChoices,
    PolicyViolation,
    audit_fields,
    go_ahead_key,
)
from keepfaith.policy import Policy

EMAIL = ("user.contact.email",)
CARD = ("user.financial.credit_card",)
IP = ("user.device.ip_address",)
PAYMENT = "essential.service.payment_processing"
PROMOTIONS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"
PARTNER_PROMOTIONS = "marketing.communications.email.partner_promotions"
ANNOUNCEMENTS = "essential.service.notifications.email"
VALIDATION = "essential.service.certificate_validation"


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize("card", ["user.financial.credit_card"])
def test_card_data_goes_to_the_declared_processor(qs_gate: Gate, card: str) -> None:
    decision = qs_gate.check(use=PAYMENT, categories=(card,), recipient="payment-processor")
    assert decision.allowed is True
    assert "QS-5" in decision.clauses


@pytest.mark.clause("QS-5")
@pytest.mark.parametrize(
    ("recipient", "why"),
    [
        ("billing", "'user.financial.credit_card' goes only to: payment-processor"),
        ("support", "staff role 'support' does not receive data for use"),
        ("marketing", "staff role 'marketing' does not receive data for use"),
        ("administrator", "'user.financial.credit_card' goes only to: payment-processor"),
    ],
)
def test_card_data_goes_to_no_one_else(qs_gate: Gate, recipient: str, why: str) -> None:
    decision = qs_gate.check(use=PAYMENT, categories=CARD, recipient=recipient)
    assert decision.allowed is False
    assert why in decision.reason


@pytest.mark.clause("QS-5")
def test_the_processor_gets_card_data_only_for_its_use(qs_gate: Gate) -> None:
    use = "essential.service.authentication"
    decision = qs_gate.check(use=use, categories=("user.name",), recipient="payment-processor")
    assert decision.allowed is False
    assert "processor 'payment-processor' does not receive data for use" in decision.reason
    assert "declared only for essential.service.payment_processing" in decision.reason


@pytest.mark.clause("QS-5")
def test_card_data_is_refused_to_marketing_with_the_fix(be_gate: Gate) -> None:
    with pytest.raises(PolicyViolation) as caught:
        be_gate.require(use=PROMOTIONS, categories=CARD, subject="alice")
    message = str(caught.value)
    assert message.startswith(
        "use 'marketing.communications.email' may not process 'user.financial.credit_card': "
        "the policy declares it only for user.contact.email, user.name (policy: uses[6])"
    )
    assert "add 'user.financial.credit_card' to uses[6].categories" in message
    assert caught.value.decision.allowed is False


@pytest.mark.clause("BE-8")
@pytest.mark.clause("QS-4")
@pytest.mark.parametrize("status", [ChoiceStatus.OPTED_OUT, ChoiceStatus.WITHDRAWN])
@pytest.mark.parametrize("gate_name", ["be_gate", "qs_gate"])
def test_marketing_mail_is_refused_after_opt_out(
    request: pytest.FixtureRequest, choices: InMemoryChoices, status: ChoiceStatus, gate_name: str
) -> None:
    gate: Gate = request.getfixturevalue(gate_name)
    use = gate.mail_kind("promotions").use
    for said_yes in ("alice", "carol"):  # as the sign-up form records a ticked box
        choices.record(said_yes, use, ChoiceStatus.GIVEN)
    assert gate.check(use=use, categories=EMAIL, subject="alice").allowed is True
    choices.record("alice", use, status)
    decision = gate.check(use=use, categories=EMAIL, subject="alice")
    assert decision.allowed is False
    assert decision.choice_state is not None and decision.choice_state.status is status
    assert "the subject declined use" in decision.reason
    assert gate.check(use=use, categories=EMAIL, subject="carol").allowed is True


@pytest.mark.clause("BE-8")
@pytest.mark.clause("BE-9")
def test_an_opt_out_use_needs_an_answer_where_its_box_may_not_start_ticked(
    be_gate: Gate, qs_gate: Gate
) -> None:
    """Denmark (the QualitySSL example): the forms ask with an empty box, and the statement says
    the choice is "asked when you give us your details"; a customer never asked (imported,
    or a customer since before the use existed) is left out until they answer. The US
    (the QualiSpace example) allows a ticked box: not asked reads "has not opted out"."""
    use = be_gate.mail_kind("promotions").use
    refused = be_gate.check(use=use, categories=EMAIL, subject="dora")
    assert refused.allowed is False
    assert refused.choice_state is not None
    assert refused.choice_state.status is ChoiceStatus.NOT_ASKED
    assert "never asked" in refused.reason
    assert be_gate.audience_filter("promotions").answer_required is True
    us_use = qs_gate.mail_kind("promotions").use
    assert qs_gate.check(use=us_use, categories=EMAIL, subject="dora").allowed is True
    assert qs_gate.audience_filter("promotions").answer_required is False


@pytest.mark.clause("BE-8")
def test_service_announcements_ignore_marketing_choices(
    be_gate: Gate, choices: InMemoryChoices
) -> None:
    for use in (PROMOTIONS, NEWSLETTER, PARTNER_PROMOTIONS):
        choices.record("alice", use, ChoiceStatus.OPTED_OUT)
    kind = be_gate.mail_kind("service_announcements")
    assert kind.use == ANNOUNCEMENTS
    assert kind.unsubscribable is False
    decision = be_gate.check(use=kind.use, categories=EMAIL, subject="alice")
    assert decision.allowed is True
    assert decision.choice_state is None
    assert be_gate.mail_kind("newsletter").unsubscribable is True


@pytest.mark.clause("BE-8")
def test_audience_filter_names_use_and_choice(be_gate: Gate) -> None:
    news = be_gate.audience_filter("newsletter")
    assert (news.use, news.choice, news.audience) == (
        NEWSLETTER,
        "opt-out",
        ("established_customers",),
    )
    with pytest.raises(LookupError, match="mail kind 'spam' is not in the policy"):
        be_gate.audience_filter("spam")


@pytest.mark.clause("BE-2")
def test_opt_in_use_is_refused_until_consent(be_gate: Gate, choices: InMemoryChoices) -> None:
    refused = be_gate.check(use=PARTNER_PROMOTIONS, categories=EMAIL, subject="alice")
    assert refused.allowed is False
    assert "is opt-in and the subject has not consented" in refused.reason
    assert "record it in the consent ledger" in refused.reason
    choices.record("alice", PARTNER_PROMOTIONS, ChoiceStatus.GIVEN, policy_version="2024.1")
    given = be_gate.check(use=PARTNER_PROMOTIONS, categories=EMAIL, subject="alice")
    assert given.allowed is True
    assert given.choice_state is not None and given.choice_state.policy_version == "2024.1"
    choices.record("alice", PARTNER_PROMOTIONS, ChoiceStatus.WITHDRAWN)
    assert be_gate.check(use=PARTNER_PROMOTIONS, categories=EMAIL, subject="alice").allowed is False


@pytest.mark.clause("BE-2")
def test_a_use_with_a_choice_needs_a_subject(be_gate: Gate) -> None:
    decision = be_gate.check(use=PARTNER_PROMOTIONS, categories=EMAIL)
    assert decision.allowed is False
    assert "depends on the subject's choice; pass subject=" in decision.reason


@pytest.mark.clause("BE-10")
def test_outside_party_needs_the_go_ahead(be_gate: Gate, choices: InMemoryChoices) -> None:
    ask: dict[str, Any] = {
        "use": VALIDATION,
        "categories": EMAIL,
        "recipient": "certificate-authority",
    }
    refused = be_gate.check(**ask, subject="alice")
    assert refused.allowed is False
    assert "record the subject's choice 'outside_party:certificate-authority'" in refused.reason
    assert be_gate.check(**ask).allowed is False
    choices.record("alice", go_ahead_key("certificate-authority"), ChoiceStatus.GIVEN)
    assert be_gate.check(**ask, subject="alice").allowed is True
    choices.record("alice", go_ahead_key("certificate-authority"), ChoiceStatus.OPTED_OUT)
    declined = be_gate.check(**ask, subject="alice")
    assert declined.allowed is False
    assert "stop this flow and send it nothing" in declined.reason


@pytest.mark.clause("BE-6")
def test_partners_get_aggregates_only(be_gate: Gate) -> None:
    ask: dict[str, Any] = {
        "use": "third_party_sharing",
        "categories": IP,
        "recipient": "affiliates",
    }
    assert be_gate.check(**ask, aggregate=True).allowed is True
    rows = be_gate.check(**ask)
    assert rows.allowed is False
    assert "pass aggregate=True" in rows.reason
    about_one = be_gate.check(**ask, aggregate=True, subject="alice")
    assert about_one.allowed is False
    assert "decide without subject=" in about_one.reason


@pytest.mark.clause("BE-6")
def test_partners_never_get_financial_data(be_policy: Policy) -> None:
    """Even a policy that names card data for a partner cannot make the gate send it."""
    uses = tuple(
        use.model_copy(update={"categories": (*use.categories, *CARD)})
        if use.key == "third_party_sharing"
        else use
        for use in be_policy.uses
    )
    partner = be_policy.recipients.partners[0]
    recipients = be_policy.recipients.model_copy(
        update={"partners": (partner.model_copy(update={"categories": (*IP, *CARD)}),)}
    )
    policy = be_policy.model_copy(update={"uses": uses, "recipients": recipients})
    gate = Gate.from_policy(policy, InMemoryChoices())
    assert (
        "user.financial.credit_card"
        not in gate.rulebook.recipient_categories[("affiliates", "third_party_sharing")]
    )
    decision = gate.check(
        use="third_party_sharing", categories=CARD, recipient="affiliates", aggregate=True
    )
    assert decision.allowed is False
    assert "never receives financial data" in decision.reason


@pytest.mark.clause("BE-5")
def test_ip_addresses_are_not_for_marketing(be_gate: Gate) -> None:
    decision = be_gate.check(use=PROMOTIONS, categories=IP, subject="alice")
    assert decision.allowed is False
    assert "may not process 'user.device.ip_address'" in decision.reason


@pytest.mark.clause("BE-5")
def test_ip_addresses_are_never_linked_to_a_person(be_gate: Gate) -> None:
    assert be_gate.check(use="analytics.reporting", categories=IP).allowed is True
    linked = be_gate.check(use="analytics.reporting", categories=IP, subject="alice")
    assert linked.allowed is False
    assert "never linked to a person" in linked.reason
    assert "BE-5" in linked.clauses


@pytest.mark.clause("QS-2")
def test_taxonomy_parents_cover_children(be_gate: Gate) -> None:
    use = "essential.service.authentication"
    assert be_gate.check(use=use, categories=("user.name.first", "user.name.last")).allowed
    unknown = be_gate.check(use=use, categories=("user.contact.emial",))
    assert unknown.allowed is False
    assert "(did you mean 'user.contact.email'?)" in unknown.reason
    assert "declare it under taxonomy.data_categories" in unknown.reason


REFUSALS = [
    ({"use": "marketing.unknown", "categories": EMAIL}, "declare it under uses"),
    ({"use": PAYMENT, "categories": ()}, "pass the categories it processes"),
    ({"use": PROMOTIONS, "categories": CARD}, "ask for a use that declares it"),
    ({"use": PAYMENT, "categories": CARD, "recipient": "nobody"}, "declare it under recipients"),
    ({"use": PAYMENT, "categories": CARD, "recipient": "billing"}, "goes only to"),
    ({"use": PROMOTIONS, "categories": EMAIL}, "pass subject="),
    ({"use": "analytics.reporting", "categories": IP, "subject": "bob"}, "decide without subject"),
    ({"use": "third_party_sharing", "categories": IP, "recipient": "affiliates"}, "aggregate=True"),
    (
        {
            "use": VALIDATION,
            "categories": EMAIL,
            "recipient": "certificate-authority",
            "subject": "b",
        },
        "record the subject's choice",
    ),
    ({"use": PARTNER_PROMOTIONS, "categories": EMAIL, "subject": "bob"}, "ask for consent"),
]


@pytest.mark.parametrize(("ask", "fix"), REFUSALS)
def test_every_refusal_names_the_fix(be_gate: Gate, ask: dict[str, object], fix: str) -> None:
    with pytest.raises(PolicyViolation) as caught:
        be_gate.require(**ask)  # type: ignore[arg-type]
    assert fix in str(caught.value)


def test_every_decision_with_a_subject_is_audited(be_gate: Gate, audited: list[Decision]) -> None:
    be_gate.check(use=PAYMENT, categories=CARD)
    allowed = be_gate.check(use=PAYMENT, categories=CARD, subject="alice", purpose_context="o:7")
    refused = be_gate.check(use=PROMOTIONS, categories=CARD, subject="carol")
    with pytest.raises(PolicyViolation):
        be_gate.require(use=PARTNER_PROMOTIONS, categories=EMAIL, subject="carol")
    assert [d.subject for d in audited] == ["alice", "carol", "carol"]
    assert audited[:2] == [allowed, refused]
    fields = audit_fields(audited[0])
    assert fields["outcome"] == "allowed"
    assert fields["detail"]["context"] == "o:7"
    assert audit_fields(audited[2])["detail"]["choice"] == "not-asked"


def test_a_decision_is_truthy_only_when_allowed(be_gate: Gate) -> None:
    assert bool(be_gate.check(use=PAYMENT, categories="user.financial.credit_card")) is True
    assert bool(be_gate.check(use=PROMOTIONS, categories=CARD)) is False


@pytest.mark.clause("BE-4")
@pytest.mark.clause("QS-7")
def test_cookies_other_than_essential_need_consent(be_gate: Gate) -> None:
    assert be_gate.cookie_allowed("cart", ()) is True
    assert be_gate.cookie_allowed("kf_campaign", ()) is False
    consented = ["analytics.reporting.campaign_insights"]
    assert be_gate.cookie_allowed("kf_campaign", consented) is True
    assert be_gate.cookie_allowed("kf_returning", consented) is False
    assert be_gate.cookie_allowed("tracker", consented) is False


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("QS-5")
def test_the_gate_names_a_processor_by_its_key_never_by_what_people_read(be_gate: Gate) -> None:
    """The processor's name is in the customer's language; the gate's recipient is its key."""
    card = be_gate.check(use=PAYMENT, categories=CARD, recipient="payment-processor")
    assert card.allowed is True
    for name in ("Card payment processor", "Kortbetalingsudbyder", "a-processor-nobody-declared"):
        refused = be_gate.check(use=PAYMENT, categories=CARD, recipient=name)
        assert refused.allowed is False
        assert f"recipient {name!r} is not declared in the policy" in refused.reason


@pytest.mark.clause("SITE-5")
@pytest.mark.clause("BE-10")
def test_the_gate_names_an_outside_party_by_its_key(
    be_gate: Gate, choices: InMemoryChoices
) -> None:
    choices.record("alice", go_ahead_key("certificate-authority"), ChoiceStatus.GIVEN)

    def send(recipient: str) -> Decision:
        org = ("user.contact.organization",)
        return be_gate.check(use=VALIDATION, categories=org, subject="alice", recipient=recipient)

    assert send("certificate-authority").allowed is True
    for name in ("Certificate authority", "Certifikatudstederen"):
        refused = send(name)
        assert f"recipient {name!r} is not declared in the policy" in refused.reason
