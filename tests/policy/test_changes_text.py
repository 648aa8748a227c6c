"""The changes between two versions in a customer's words (the update page, the change
notice): the policy's names, periods in words, never a key or ``14d -> 7d`` (BE-11)."""

from __future__ import annotations

import re

import pytest

from keepfaith.policy import load_policy_text
from keepfaith.policy.changes_text import diff_sentences
from keepfaith.policy.diff import diff_to_text, policy_diff
from tests.policy.examples import BE_FILE

pytestmark = [pytest.mark.clause("BE-11")]
KEYISH = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b|\b\d+[dy]\b|->|[~+-] [a-z]")


def _changed(text: str) -> str:
    """The example policy, a year on: campaign measurement kept longer, a new cookie, full IP
    addresses kept 3 days, and the bookkeeping records kept 6 years after an erasure."""
    text = text.replace(
        "    retention: 90d\n    categories: [user.device.cookie_id]\n    clauses: [BE-4]",
        "    retention: 180d\n    categories: [user.device.cookie_id]\n    clauses: [BE-4]",
    )
    text = text.replace("raw_ip_retention: 7d", "raw_ip_retention: 3d")
    text = text.replace("      period: 5y\n", "      period: 6y\n", 1)
    cookie = (
        "  - name: kf_survey\n    party: first\n"
        "    purpose: analytics.reporting.campaign_insights\n"
        "    lifetime: 30d\n    essential: false\n    categories: [user.device.cookie_id]\n"
        "    description: {en: Remembers your answer., da: Husker dit svar.}\n"
    )
    return text.replace("cookies:\n", "cookies:\n" + cookie, 1)


def test_each_change_is_one_sentence_in_the_policy_s_words():
    source = BE_FILE.read_text(encoding="utf-8")
    old, new = load_policy_text(source), load_policy_text(_changed(source))
    diff = policy_diff(old, new)
    assert "kf_survey" in diff_to_text(diff)  # the officer's view has the same changes
    english = diff_sentences(diff, old=old, new=new, lang="en")
    assert english == [
        "“Campaign measurement”: kept 180 days (before: 90 days).",
        "Full IP addresses in our web server logs: kept 3 days (before: 7 days).",
        "What we must keep after you close your account, for Bookkeeping: "
        "kept 6 years (before: 5 years).",
        "New cookie “kf_survey”, kept 30 days.",
    ]
    danish = diff_sentences(diff, old=old, new=new, lang="da")
    assert danish[:2] + danish[3:] == [
        "»Kampagnemåling«: gemmes 180 dage (før: 90 dage).",
        "Fulde IP-adresser i vores webserverlogge: gemmes 3 dage (før: 7 dage).",
        "Ny cookie »kf_survey«, gemmes 30 dage.",
    ]
    assert danish[2].startswith("Det, vi skal gemme, når du lukker din konto, til ")
    assert "orders" not in danish[2] and "gemmes 6 år (før: 5 år)" in danish[2]
    for line in english + danish:
        assert not KEYISH.search(line.replace("kf_survey", "")), line


def test_a_new_and_a_removed_use_are_named_with_their_data():
    source = BE_FILE.read_text(encoding="utf-8")
    old = load_policy_text(source)
    start = source.index("  - key: analytics.reporting.campaign_insights\n")
    end = source.index("    clauses: [BE-4]\n", start) + len("    clauses: [BE-4]\n")
    without = source[:start] + source[end:]
    without = re.sub(r"(?m)^  - name: kf_campaign\n(?:    .*\n)+", "", without)
    new = load_policy_text(without)
    lines = diff_sentences(policy_diff(new, old), old=new, new=old, lang="en")
    assert "New: we use your data for “Campaign measurement” (cookie identifier)." in lines
    assert any(line.startswith("New cookie “kf_campaign”") for line in lines)
    gone = diff_sentences(policy_diff(old, new), old=old, new=new, lang="en")
    assert "We no longer use your data for “Campaign measurement”." in gone
    assert "We no longer set the cookie “kf_campaign”." in gone
