"""Property: the gate agrees with a slow reference written straight from the policy model.

The reference reads the ``Policy`` (no rulebook, no memo) and walks category strings; the
gate must give the same ``allowed`` for any question drawn from the examples' keys, and
never raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.gate import ChoiceSource, ChoiceStatus, Gate, InMemoryChoices, go_ahead_key
from keepfaith.policy import Policy, load_policy
from keepfaith.policy.jurisdiction import jurisdiction_rules
from keepfaith.policy.references import default_taxonomy_keys

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICIES = {
    name: load_policy(EXAMPLES / name / "policy.yaml") for name in ("qualityssl", "qualispace")
}
SUBJECTS = ("alice", "carol")


def _covers(policy: Policy, declared: Iterable[str], category: str) -> bool:
    known = default_taxonomy_keys()["data_categories"] | {
        entry.key for entry in policy.taxonomy.data_categories
    }
    return category in known and any(
        category == key or category.startswith(key + ".") for key in declared
    )


def _recipient(policy: Policy, key: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    rec = policy.recipients
    for staff in rec.staff:
        if staff.role == key:
            return "staff", staff.uses, staff.categories
    for kind, group in (
        ("processor", rec.processors),
        ("outside_party", rec.outside_parties),
        ("partner", rec.partners),
    ):
        for item in group:
            if item.key == key:
                return kind, item.uses, item.categories
    return None


def reference_allowed(
    policy: Policy,
    choices: ChoiceSource,
    *,
    use: str,
    categories: tuple[str, ...],
    subject: str | None,
    recipient: str | None,
    aggregate: bool,
) -> bool:
    """The rules of docs/gate.md, read straight from the policy."""
    declared = policy.use_by_key(use)
    if declared is None or not categories:
        return False
    if not all(_covers(policy, declared.categories, cat) for cat in categories):
        return False
    logs = policy.log_files
    unlinkable = () if logs is None or logs.linked_to_customers else logs.categories
    if subject is not None and any(_covers(policy, unlinkable, cat) for cat in categories):
        return False
    party = None
    if recipient is not None:
        found = _recipient(policy, recipient)
        if found is None:
            return False
        kind, uses, received = found
        if kind == "partner":
            financial = any(_covers(policy, ("user.financial",), cat) for cat in categories)
            if financial or subject is not None or not aggregate:
                return False
        if use not in uses or not all(_covers(policy, received, cat) for cat in categories):
            return False
        party = recipient if kind == "outside_party" else None
    if declared.choice == "none" and party is None:
        return True
    if subject is None:
        return False
    status = choices.choice_for(subject, use).status
    said: tuple[ChoiceStatus, ...] = (ChoiceStatus.GIVEN, ChoiceStatus.NOT_ASKED)
    if not jurisdiction_rules(country=policy.controller.jurisdiction).preticked_optout_allowed:
        said = (ChoiceStatus.GIVEN,)  # asked with an empty box: only a yes counts
    if declared.choice == "opt-out" and status not in said:
        return False
    if declared.choice == "opt-in" and status is not ChoiceStatus.GIVEN:
        return False
    return party is None or choices.choice_for(subject, go_ahead_key(party)).status is (
        ChoiceStatus.GIVEN
    )


def _vocabulary(policy: Policy) -> tuple[list[str], list[str], list[str], list[str]]:
    uses = [use.key for use in policy.uses] + ["marketing.unknown"]
    named = {cat for use in policy.uses for cat in use.categories}
    known = default_taxonomy_keys()["data_categories"]
    categories = sorted({k for k in known if any(k.startswith(n) for n in named)} | named)
    categories += ["user.financial.credit_card", "user.financial", "user.nonsense"]
    recipients = [*policy.recipient_keys(), "nobody"]
    keys = [u.key for u in policy.uses if u.choice != "none"]
    keys += [go_ahead_key(p.key) for p in policy.recipients.outside_parties]
    return uses, categories, recipients, keys


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_gate_agrees_with_the_reference(name: str) -> None:
    policy = POLICIES[name]
    uses, categories, recipients, keys = _vocabulary(policy)
    declared = sorted({cat for use in policy.uses for cat in use.categories})
    statuses = st.dictionaries(
        st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(keys)), st.sampled_from(ChoiceStatus)
    )

    @settings(max_examples=200, deadline=None)
    @given(
        use=st.sampled_from(uses),
        cats=st.lists(st.sampled_from(categories), max_size=3).map(tuple)
        | st.lists(st.sampled_from(declared), min_size=1, max_size=2).map(tuple),
        subject=st.none() | st.sampled_from(SUBJECTS),
        recipient=st.none() | st.sampled_from(recipients),
        aggregate=st.booleans(),
        recorded=statuses,
    )
    def agree(use, cats, subject, recipient, aggregate, recorded) -> None:
        choices = InMemoryChoices()
        for (who, key), status in recorded.items():
            choices.record(who, key, status)
        audited: list[object] = []
        gate = Gate.from_policy(policy, choices, audit=audited.append)
        ask = dict(use=use, subject=subject, recipient=recipient, aggregate=aggregate)
        decision = gate.check(categories=cats, **ask)
        assert decision.allowed is reference_allowed(policy, choices, categories=cats, **ask)
        assert decision.reason
        assert len(audited) == (0 if subject is None else 1)
        again = gate.check(categories=cats, **ask)  # the remembered verdict answers the same
        assert again == decision
        outcomes.add(decision.allowed)

    outcomes: set[bool] = set()
    agree()
    assert outcomes == {True, False}
