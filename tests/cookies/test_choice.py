"""The visitor's cookie choice lives in one cookie and parses safely (BE-2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.cookies.choice import CookieChoice, campaign_code, choice_encode, choice_parse


@pytest.mark.clause("BE-2")
def test_choice_round_trips_and_holds_only_purposes_and_version():
    choice = CookieChoice(frozenset({"personalize.content", "analytics.reporting"}), "2024.1")
    value = choice_encode(choice)
    assert value == "1~2024.1~analytics.reporting|personalize.content"
    assert choice_parse(value) == choice


def test_refusal_round_trips():
    choice = CookieChoice(frozenset(), "2024.1")
    assert choice_parse(choice_encode(choice)) == choice


@pytest.mark.parametrize(
    "value", [None, "", "yes", "2~2024.1~x", "1~2024.1", "1~~x", "1~v~Bad Purpose", "1~v~a" * 400]
)
def test_malformed_values_are_no_choice(value):
    assert choice_parse(value) is None


def test_encode_refuses_a_value_that_is_not_a_purpose():
    with pytest.raises(ValueError, match="not a purpose key"):
        choice_encode(CookieChoice(frozenset({"a b"}), "2024.1"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_raises(value):
    parsed = choice_parse(value)
    assert parsed is None or choice_parse(choice_encode(parsed)) == parsed


@pytest.mark.clause("BE-4")
@pytest.mark.parametrize(
    ("values", "code"),
    [
        (("spring",), "spring"),
        (("Spring-2024",), "spring-2024"),
        ((None, "autumn_sale"), "autumn_sale"),
        (("alice@example.com", "spring"), "spring"),
        (("4111111111111111",), None),
        (("free text with spaces",), None),
        (("x" * 40,), None),
        (("",), None),
    ],
)
def test_campaign_code_is_a_short_token(values, code):
    assert campaign_code(values) == code


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_campaign_code_never_carries_free_text(value):
    code = campaign_code([value])
    assert code is None or (len(code) <= 32 and code.replace("-", "").replace("_", "").isalnum())
