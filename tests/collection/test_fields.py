"""The phone number field: numbers as people write them, nothing else (SITE-1)."""

from __future__ import annotations

import pytest
from django import forms
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from keepfaith.collection.fields import PhoneNumberField


@pytest.mark.parametrize(
    "written", ["+45 12 34 56 78", "(030) 123-4567", "030/1234567", "+1.415.555.0100"]
)
def test_numbers_as_people_write_them_are_kept_as_written(written):
    assert PhoneNumberField().clean(f"  {written} ") == written


FULLWIDTH = "".join(chr(0xFF10 + d) for d in (1, 2, 3, 4, 5, 6, 7, 8))  # "12345678", wide


@pytest.mark.clause("SITE-1")
@pytest.mark.parametrize(
    "bad", ["call me maybe", "12345", "45+12345678", "+45 1234 5678 ext 9", FULLWIDTH]
)
def test_anything_else_is_refused_in_words(bad):
    with pytest.raises(forms.ValidationError, match="Enter a phone number"):
        PhoneNumberField().clean(bad)


@given(st.text(max_size=60))
@hsettings(max_examples=300, deadline=None)
def test_any_text_is_a_number_or_a_clear_refusal(text):
    try:
        PhoneNumberField(required=False).clean(text)
    except forms.ValidationError as refused:
        assert refused.messages
