"""The audience of each mail kind agrees with the gate for every choice (BE-8, QS-4, BE-9)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from keepfaith.audit.services import Actor
from keepfaith.comms.selectors import audience_for
from keepfaith.consent.services import consent_record
from keepfaith.inforce import in_force
from keepfaith.store.selectors import customers_with_active_service
from tests.comms.conftest import make_customer

STATUSES = ("none", "given", "opted-out", "withdrawn")
ACTOR = Actor.system("test")


@pytest.mark.clause("BE-8")
@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
def test_every_choice_and_kind_matches_the_gate(published: Any) -> None:
    gate = in_force().gate(actor=ACTOR)
    kinds = sorted(gate.rulebook.mail_kinds)
    uses = sorted({gate.mail_kind(k).use for k in kinds if gate.mail_kind(k).unsubscribable})
    # one customer per combination of states over all marketing uses
    people: dict[str, dict[str, str]] = {}
    for index, combo in enumerate(itertools.product(STATUSES, repeat=len(uses))):
        user = make_customer(f"c{index}@example.com", said_yes=False)  # "none": never asked
        people[user.customer_number or ""] = dict(zip(uses, combo, strict=True))
        for use, status in zip(uses, combo, strict=True):
            if status != "none":
                consent_record(
                    policy=in_force().policy,
                    subject=user.customer_number or "",
                    key=use,
                    event=status,
                    source="portal",
                )
    make_customer("inactive@example.com").__class__.objects.filter(
        email="inactive@example.com"
    ).update(is_active=False)
    checked = 0
    for kind in kinds:
        rule = gate.mail_kind(kind)
        found = audience_for(kind=kind, gate=gate, active_service=customers_with_active_service())
        audience = set(found.values_list("customer_number", flat=True))
        gate = in_force().gate(actor=ACTOR)
        for number, states in people.items():
            allowed = gate.check(
                use=rule.use, categories=("user.contact.email",), subject=number
            ).allowed
            assert (number in audience) is allowed, (kind, states)
            status = states.get(rule.use, "none")
            if rule.choice == "opt-out" and rule.answer_required:  # Denmark: a yes first
                assert allowed is (status == "given")
            elif rule.choice == "opt-out":
                assert allowed is (status in ("none", "given"))
            elif rule.choice == "opt-in":
                assert allowed is (status == "given")
            else:
                assert allowed is True
            checked += 1
        assert all(n in people for n in audience), "inactive or staff accounts never included"
    assert checked == len(kinds) * len(STATUSES) ** len(uses)
    assert {gate.mail_kind(k).choice for k in kinds} >= {"opt-out", "opt-in", "none"}


@pytest.mark.clause("BE-8")
def test_service_announcements_reach_exactly_the_customers_with_a_running_service(
    published: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from keepfaith.store.models import Renewal

    running = make_customer("running@example.com")
    consent_record(
        policy=in_force().policy,
        subject=running.customer_number or "",
        key=OPTED_OUT_USE,
        event="opted-out",
        source="portal",
    )
    make_customer("no-service@example.com", service=False)
    ended = make_customer("ended@example.com")
    Renewal.objects.filter(line__order__customer=ended).update(
        due=timezone.localdate() - timedelta(days=1)
    )
    audience = audience_for(
        kind="service_announcements",
        gate=in_force().gate(actor=ACTOR),
        active_service=customers_with_active_service(),
    )
    assert [u.email for u in audience] == ["running@example.com"]


OPTED_OUT_USE = "marketing.communications.email.newsletter"
