"""The policy's rights section: validated, and rendered as the statement's rights section."""

from __future__ import annotations

import pytest

from keepfaith.policy import render
from keepfaith.policy.phrases import placeholders
from keepfaith.policy.references import rights_findings
from keepfaith.policy.rights_text import RIGHTS_PHRASES
from tests.policy.examples import be_policy


@pytest.mark.clause("RIGHTS-12")
@pytest.mark.feature("rights.deadlines")
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_statement_states_the_rights_from_the_policy(lang: str) -> None:
    section = render.statement(be_policy(), lang=lang).section("rights")
    text = section.text
    assert "Datatilsynet" in text
    assert ("one month" if lang == "en" else "én måned") in text
    assert ("Danish Bookkeeping Act" if lang == "en" else "bogføringsloven") in text
    assert {"RIGHTS-12", "RIGHTS-17", "RIGHTS-21"} <= section.clauses


@pytest.mark.clause("RIGHTS-17")
@pytest.mark.feature("rights.erasure.plan")
def test_the_statement_says_what_an_erasure_keeps_and_until_when() -> None:
    section = render.statement(be_policy(), lang="en").section("rights")
    assert "5 years from the end of the financial year" in section.text


def test_both_books_have_the_same_keys_and_placeholders() -> None:
    en, da = RIGHTS_PHRASES["en"], RIGHTS_PHRASES["da"]
    assert set(en) == set(da)
    for key in en:
        assert placeholders(en[key]) == placeholders(da[key]), key


def test_an_objection_to_a_use_not_based_on_legitimate_interests_is_an_error() -> None:
    policy = be_policy()
    assert policy.rights is not None
    rights = policy.rights.model_copy(
        update={"objection_uses": ("essential.service.payment_processing",)}
    )
    broken = policy.model_copy(update={"rights": rights})
    (finding,) = list(rights_findings(broken))
    assert "legitimate interests" in finding.message
