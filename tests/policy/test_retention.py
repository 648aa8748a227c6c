"""How long data serving several uses is kept (the retention jobs ask this)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.policy.loader import load_policy
from keepfaith.policy.retention import uses_kept_days

QUALITYSSL = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"


@pytest.mark.clause("BE-5")
def test_data_serving_several_uses_is_kept_for_the_longest_and_never_shorter_than_one_keeps():
    policy = load_policy(QUALITYSSL)
    two_years = uses_kept_days(policy=policy, uses=["analytics.reporting", "third_party_sharing"])
    assert two_years == (730, "analytics.reporting")  # the first of equals names it
    # a use that keeps its data without a fixed period (here: for good) wins: nothing is
    # deleted by age, rather than at the longest period among the others
    assert (
        uses_kept_days(policy=policy, uses=["analytics.reporting", "essential.service.security"])
        is None
    )
    assert uses_kept_days(policy=policy, uses=["no.such.use"]) is None
