"""The phrasebook: every language complete, humanised keys, durations."""

from __future__ import annotations

import pytest

from keepfaith.policy import phrases as ph


def test_every_language_has_the_same_phrases_and_placeholders() -> None:
    english = ph.PHRASES["en"]
    for lang, book in ph.PHRASES.items():
        assert set(book) == set(english), lang
        for key, template in book.items():
            assert ph.placeholders(template) == ph.placeholders(english[key]), (lang, key)


@pytest.mark.parametrize(
    "table", [ph.CATEGORY_NAMES, ph.LEGAL_BASES, ph.CHOICES, ph.RETENTIONS, ph.ROLES, ph.WORDS]
)
def test_every_table_entry_is_in_every_language(table: dict[str, dict[str, str]]) -> None:
    for names in table.values():
        assert set(names) == set(ph.LANGUAGES)


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        ("7d", "en", "7 days"),
        ("7d", "da", "7 dage"),
        ("1y", "en", "1 year"),
        ("2y", "da", "2 år"),
        ("12h", "en", "12 hours"),
        ("1m", "da", "1 måned"),
        ("3w", "da", "3 uger"),
    ],
)
def test_durations_in_words(value: str, lang: str, text: str) -> None:
    assert ph.duration_text(value, lang) == text


def test_rotation_and_retention_words() -> None:
    assert ph.every_text("1d", "en") == "every day"
    assert ph.every_text("1d", "da") == "hver dag"
    assert ph.every_text("7d", "en") == "every 7 days"
    assert ph.every_text("7d", "da") == "hver 7. dag"
    assert ph.retention_text("while-customer", "da") == "så længe du er kunde"
    assert ph.retention_text("90d", "en") == "90 days"
    assert ph.lifetime_text("session", "en") == "until you close the browser"


def test_category_names_from_table_declaration_and_fallback() -> None:
    assert ph.category_name("user.contact.email", "en") == "e-mail address"
    assert ph.category_name("user.contact.email", "da") == "e-mailadresse"
    declared = {"user.device.widget": "Widget serial"}
    assert ph.category_name("user.device.widget", "en", declared=declared) == "widget serial"
    assert ph.category_name("user.behavior.browsing_history", "en") == "browsing history"
    assert ph.country_name("ZZ", "da") == "ZZ"


def test_lists_are_joined_in_the_language() -> None:
    assert ph.join_words(["a", "b", "c"], "en") == "a, b and c"
    assert ph.join_words(["a", "b"], "da", last="or") == "a eller b"
    assert ph.join_words(["a"], "da") == "a"
