"""Fixtures: the two example policies, their gates, and personas alice and carol."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.gate import Decision, Gate, InMemoryChoices
from keepfaith.policy import Policy, load_policy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def be_policy() -> Policy:
    return load_policy(EXAMPLES / "qualityssl" / "policy.yaml")


@pytest.fixture(scope="session")
def qs_policy() -> Policy:
    return load_policy(EXAMPLES / "qualispace" / "policy.yaml")


@pytest.fixture
def choices() -> InMemoryChoices:
    return InMemoryChoices()


@pytest.fixture
def audited() -> list[Decision]:
    return []


@pytest.fixture
def be_gate(be_policy: Policy, choices: InMemoryChoices, audited: list[Decision]) -> Gate:
    return Gate.from_policy(be_policy, choices, audit=audited.append)


@pytest.fixture
def qs_gate(qs_policy: Policy, choices: InMemoryChoices, audited: list[Decision]) -> Gate:
    return Gate.from_policy(qs_policy, choices, audit=audited.append)
