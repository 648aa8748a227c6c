"""``names_shown``: a certificate's names joined for people, each international name in its
letters and in its xn-- form (``keepfaith.certs.names.name_shown``)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from keepfaith.certs.names import name_shown

register = template.Library()


@register.filter
def names_shown(names: Iterable[str] | None) -> str:
    return ", ".join(name_shown(name) for name in names or ())


@register.filter
def names_shown_text(names: str) -> str:
    """:func:`names_shown` of names kept as one comma-separated text (a problem stored
    before the page said it in words began "validation failed for ")."""
    names = names.removeprefix("validation failed for ")
    return names_shown(name.strip() for name in names.split(",") if name.strip())
