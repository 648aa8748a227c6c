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


@pytest.mark.clause("SITE-1")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "x\x1b[2J\x07\x08y"),  # a terminal escape, a bell, a backspace
        ("full_name", "Alice\r\nBcc: x@example.org"),  # a line break in a one-line field
        ("organization", "\u202eSpA nesrednA"),  # reads backwards in the console
        ("postal_address", "Nørregade 1\x07"),  # Django's own check sees only NUL
        ("full_name", "Ali\u200bce"),  # a zero-width space: looks like "Alice"
        ("organization", "Andersen\u2028ApS"),  # a line separator in a one-line field
        ("postal_address", "Nørregade 1\ufffd"),  # bytes that were not UTF-8
    ],
)
def test_invisible_characters_are_refused_on_their_field_and_the_rest_kept(
    alice, published, field, value
):
    from django.test import Client

    from keepfaith.accounts.models import User

    client = Client()
    client.force_login(alice)
    data = {
        "full_name": "Alice Andersen",
        "email": "alice@example.com",
        "organization": "Andersen ApS",
        "postal_address": "Nørregade 1\n1165 København K",
        "shown_policy_version": published.label,
        field: value,
    }
    page = client.post("/da/account/contact/", data)
    assert page.status_code in (200, 400)  # the form again, with the error
    text = page.content.decode()
    assert "usynlige kontroltegn" in text
    assert "Andersen ApS" in text or field == "organization"  # what was typed stays
    fresh = User.objects.get(pk=alice.pk)
    assert getattr(fresh, field) != value


def test_a_multi_line_field_keeps_its_line_breaks_and_tabs():
    from keepfaith.collection.fields import invisible_characters

    assert not invisible_characters("Nørregade 1\r\n1165 København K\tDK", multiline=True)
    assert invisible_characters("Nørregade 1\n1165", multiline=False)
    assert not invisible_characters("Ærø · 日本 · مرحبا · 😀", multiline=False)
    # joiners and direction marks are part of writing some names: kept
    assert not invisible_characters("می\u200cخواهم \u200f· 👩\u200d💻", multiline=False)  # noqa: RUF001
