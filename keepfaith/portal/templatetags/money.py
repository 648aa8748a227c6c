"""``{{ amount_minor|money:currency }}``: an amount in minor units, written for the page's
language (``keepfaith.store.pricing.money``)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from keepfaith.store.pricing import money as format_money

register = template.Library()


@register.filter
def money(minor: int, currency: str) -> str:
    return format_money(int(minor), currency, lang=(get_language() or "en")[:2])
