"""What `policy check` says about partners, and what the gate refuses (BE-6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.gate import Gate
from keepfaith.gate.choices import InMemoryChoices
from keepfaith.policy import PolicyError, load_policy_text

pytestmark = pytest.mark.clause("BE-6")

BE = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"


def problems(old: str, new: str) -> str:
    text = BE.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text.replace(old, new, 1), file="p.yaml")
    return str(caught.value)


def test_an_aggregate_keepfaith_does_not_make_is_an_error_at_its_line():
    found = problems("aggregates: [countries]\n", "aggregates: [countries, revenue]\n")
    assert "recipients.partners[1].aggregates[1]: 'revenue' is not an aggregate" in found
    assert "p.yaml:" in found


def test_an_aggregate_from_categories_the_partner_lacks_is_an_error():
    found = problems(
        "      categories: [user.device.ip_address]\n      uses: [third_party_sharing]\n"
        "      min_cell_size: 10\n      differential_privacy",
        "      categories: [user.contact.address.country]\n      uses: [third_party_sharing]\n"
        "      min_cell_size: 10\n      differential_privacy",
    )
    assert "'countries' is derived from user.device.ip_address: add to categories" in found


def test_noise_says_how_much_and_one_release_fits_the_budget():
    old = "      min_cell_size: 10\n      clauses: [BE-6]"
    found = problems(old, old.replace("10\n", "10\n      noise: true\n"))
    assert "noise: true needs differential_privacy" in found
    found = problems("epsilon_per_release: 1.0, budget_per_period: 2.0",
                     "epsilon_per_release: 3.0, budget_per_period: 2.0")  # fmt: skip
    assert "one release (3.0) would spend more than the budget per period (2.0)" in found
    found = problems("epsilon_per_release: 1.0", "epsilon_per_release: 0")
    assert "differential_privacy.epsilon_per_release" in found


def test_the_gate_refuses_an_aggregate_the_partner_is_not_listed_for():
    policy = load_policy_text(BE.read_text(encoding="utf-8"), file="be.yaml")
    gate = Gate.from_policy(policy, InMemoryChoices())

    def ask(recipient: str, aggregate: bool | str):
        return gate.check(
            use="third_party_sharing",
            categories=("user.device.ip_address",),
            recipient=recipient,
            aggregate=aggregate,
        )

    assert ask("market-survey", "countries").allowed is True
    refused = ask("market-survey", "browsers")
    assert refused.allowed is False
    assert "recipients.partners[1].aggregates" in refused.reason
    assert ask("market-survey", False).allowed is False
    assert ask("nobody", "countries").allowed is False
