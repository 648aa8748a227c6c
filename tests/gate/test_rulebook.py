"""The compiled rulebook: frozen, cached, with the taxonomy expanded."""

from __future__ import annotations

import pytest

from keepfaith.policy import Policy
from keepfaith.policy.rulebook import compile_rulebook


def test_equal_policies_compile_to_the_same_digest(be_policy: Policy) -> None:
    copy = be_policy.model_copy()
    assert compile_rulebook(copy).digest == compile_rulebook(be_policy).digest
    assert compile_rulebook(be_policy).version == "2024.1"


def test_rulebook_tables_are_frozen(be_policy: Policy) -> None:
    book = compile_rulebook(be_policy)
    with pytest.raises(TypeError, match="does not support item assignment"):
        book.uses["x"] = book.uses["third_party_sharing"]  # type: ignore[index]
    with pytest.raises(AttributeError, match="cannot assign to field"):
        book.version = "2"  # type: ignore[misc]


def test_uses_cover_taxonomy_children(be_policy: Policy) -> None:
    book = compile_rulebook(be_policy)
    rule = book.uses["essential.service.authentication"]
    assert rule.choice == "none"
    assert "user.contact.address.city" in rule.categories
    assert ("essential.service.authentication", "user.name.first") in book.use_categories
    assert ("marketing.communications.email", "user.contact.address") not in book.use_categories


@pytest.mark.clause("BE-10")
def test_collection_points_carry_choices_and_outside_parties(be_policy: Policy) -> None:
    points = compile_rulebook(be_policy).collection_points
    assert points["organisation-validation"].outside_party == "certificate-authority"
    assert ("marketing.communications.email", "opt-out") in points["checkout"].choices
    assert "user.financial.credit_card" in points["checkout"].categories
    assert "user.financial.credit_card" not in points["checkout"].required  # only with a price
    assert "user.contact.address" in points["checkout"].required


def test_mail_kinds_and_cookies(be_policy: Policy) -> None:
    book = compile_rulebook(be_policy)
    assert book.mail_kinds["transactional"].unsubscribable is False
    assert book.mail_kinds["partner_promotions"].choice == "opt-in"
    assert book.cookies["partner_ref"].recipient == "affiliates"
    assert book.cookies["sessionid"].essential is True
