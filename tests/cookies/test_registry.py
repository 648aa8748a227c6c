"""The cookie registry comes from the policy, compiled once per version (QS-7, BE-4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.gate.cookies import compile_registry, lifetime_seconds
from keepfaith.policy import load_policy
from keepfaith.policy.rulebook import compile_rulebook

BE = Path("examples/qualityssl/policy.yaml")
QS = Path("examples/qualispace/policy.yaml")


def registry_of(path: Path):
    return compile_registry(compile_rulebook(load_policy(path)))


@pytest.mark.clause("BE-4")
def test_be_registry_lists_every_cookie_of_the_policy():
    registry = registry_of(BE)
    assert registry.names == {
        "sessionid", "csrftoken", "cart", "kf_consent", "kf_returning", "kf_campaign",
        "kf_notice", "partner_ref",
    }  # fmt: skip
    assert {p.key for p in registry.purposes} == {
        "personalize.content",
        "analytics.reporting.campaign_insights",
        "marketing.advertising.third_party",
    }


@pytest.mark.clause("QS-7")
def test_qs_registry_has_no_partner_cookie():
    registry = registry_of(QS)
    assert "partner_ref" not in registry.names
    assert registry.purpose_keys == {"personalize.content", "analytics.reporting.campaign_insights"}


@pytest.mark.clause("BE-2")
def test_essential_cookies_need_no_consent_others_do():
    registry = registry_of(BE)
    nothing: frozenset[str] = frozenset()
    assert registry.allowed("sessionid", nothing) is True
    assert registry.allowed("kf_consent", nothing) is True
    assert registry.allowed("kf_returning", nothing) is False
    assert registry.allowed("kf_returning", frozenset({"personalize.content"})) is True
    assert registry.allowed("tracker", registry.purpose_keys) is False


@pytest.mark.clause("BE-4")
def test_gpc_refuses_campaign_and_partner_purposes_only():
    registry = registry_of(BE)
    assert registry.gpc_refused == {
        "analytics.reporting.campaign_insights",
        "marketing.advertising.third_party",
    }


def test_lifetimes_in_seconds():
    assert lifetime_seconds("session") is None
    assert lifetime_seconds("90d") == 90 * 86400
    assert lifetime_seconds("1y") == 365 * 86400
    assert lifetime_seconds("12h") == 12 * 3600
