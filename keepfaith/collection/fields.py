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


# Characters no one types on purpose into a name, an address or a message: C0 and C1
# controls and DEL (an escape sequence meant for a terminal, a header-splitting line break
# in a one-line field), the bidirectional overrides and isolates (text that reads backwards
# in the console), zero-width spaces and byte-order marks (a name that looks like another),
# and U+FFFD, what bytes that were not UTF-8 were decoded to. Left alone: the joiners
# (U+200C, U+200D: Persian and Indic names, emoji) and the direction marks (U+200E, U+200F,
# U+061C), which right-to-left text needs and which turn nothing around.
_INVISIBLE = frozenset(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    + [chr(0x7F)]
    + [chr(c) for c in range(0x80, 0xA0)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200b", "\u2060", "\ufeff", "\ufffd"]
)
_LINE_BREAKS = frozenset("\t\n\r\u2028\u2029\x85")


def invisible_characters(text: str, *, multiline: bool) -> bool:
    """Does ``text`` hold a character of ``_INVISIBLE`` (or, on one line, a tab or line
    break)? One pass over the text."""
    bad = _INVISIBLE if multiline else _INVISIBLE | _LINE_BREAKS
    return not bad.isdisjoint(text)


class VisibleTextForm(forms.Form):
    """A form whose text fields refuse invisible and control characters, each with its
    own error (the field keeps what was typed, so it can be corrected). Passwords and
    hidden fields are left alone."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            value = cleaned.get(name)
            widget = field.widget
            if not isinstance(value, str) or isinstance(
                widget, forms.PasswordInput | forms.HiddenInput
            ):
                continue
            if invisible_characters(value, multiline=isinstance(widget, forms.Textarea)):
                self.add_error(
                    name,
                    forms.ValidationError(
                        _(
                            "This has invisible control characters or characters that could "
                            "not be read (a line break, if it is one line): please retype it."
                        ),
                        code="invisible",
                    ),
                )
        return cleaned
