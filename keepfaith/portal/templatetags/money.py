"""``{{ amount_minor|money:currency }}``: an amount in minor units, written for the page's
language (``keepfaith.store.pricing.money``)."""

from __future__ import annotations

from django import template

from keepfaith.store.pricing import money_here

register = template.Library()


@register.filter
def money(minor: int, currency: str) -> str:
    return money_here(minor, currency)
