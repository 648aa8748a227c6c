"""The composition root: one resolution of the policy in force, compiled once per version."""

from __future__ import annotations

from pathlib import Path

from keepfaith.audit.services import Actor
from keepfaith.consent.selectors import LedgerChoices
from keepfaith.demo import earlier_policy_text
from keepfaith.inforce import in_force, in_force_scope, policy_of
from keepfaith.versions.services import policy_publish

BE = Path("examples/qualityssl/policy.yaml")


def test_a_version_is_parsed_and_compiled_once(published):
    first, second = in_force(), in_force()
    assert first.version is not None and first.version.pk == published.pk
    assert first.policy is second.policy
    assert first.rulebook is second.rulebook
    assert first.cookies is second.cookies
    assert policy_of(published) is first.policy
    assert first.label == "2024.1"


def test_before_any_publish_the_configured_file_is_in_force(db):
    now = in_force()
    assert now.version is None
    assert now.label == now.policy.version == "2024.1"
    assert now.reconsent == frozenset()


def test_a_publish_counts_at_once_outside_a_scope_and_after_one(published):
    earlier = earlier_policy_text(BE.read_text(encoding="utf-8")) or ""
    with in_force_scope():
        before = in_force()
        policy_publish(source=earlier)
        assert in_force().label == "2023.1"  # a publish inside the scope is read afresh
    assert before.label == "2024.1"
    assert in_force().policy is not before.policy


def test_the_gate_reads_the_ledger_and_the_statement_is_rendered_once_per_language(published):
    now = in_force()
    assert isinstance(now.gate(actor=Actor.system("test")).choices, LedgerChoices)
    html = now.statement_html("da")
    assert html is in_force().statement_html("da")
    assert 'lang="da"' in html or "Dansk" in html or "personoplysninger" in html


def test_the_language_is_chosen_from_the_policy_s_languages(db):
    now = in_force()
    assert now.language("da-DK") == "da"
    assert now.language("de") == "en"
    assert now.language(None) == "en"
