"""Form fields for the personal data the collection points declare."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

_PHONE_CHARS = frozenset("0123456789 +-()./")


class PhoneNumberField(forms.CharField):
    """A telephone number as people write it: digits with spaces, dashes, dots, brackets
    or slashes, an optional leading "+"; 6 to 20 digits. Checked character by character
    (linear, no regular expression). The value is kept as written, trimmed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if not value:
            return
        text = value.strip()
        digits = sum(ch.isascii() and ch.isdigit() for ch in text)
        if not set(text) <= _PHONE_CHARS or "+" in text[1:] or not 6 <= digits <= 20:
            raise forms.ValidationError(
                _(
                    "Enter a phone number of 6 to 20 digits, such as +45 12 34 56 78 (spaces "
                    "and + - ( ) . / may separate them)."
                ),
                code="phone",
            )
