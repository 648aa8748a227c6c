"""``{{ line|line_words }}``: what an order line bought, in the language the page or e-mail is
written in (``keepfaith.store.selectors.line_words``: from the catalogue, so an order placed in
English reads in Danish on a Danish page; as written at checkout when no longer sold)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from keepfaith.inforce import in_force
from keepfaith.store.models import OrderLine
from keepfaith.store.selectors import active_catalog, line_term, line_trial_days
from keepfaith.store.selectors import line_words as words_of

register = template.Library()


@register.filter
def line_words(line: OrderLine) -> str:
    catalog = active_catalog(policy=in_force().policy)
    return words_of(line, catalog, (get_language() or "en")[:2])


@register.filter
def term_words(line: OrderLine) -> str:
    """``{{ line|term_words }}``: how long the line runs ("30 days" for a trial)."""
    catalog = active_catalog(policy=in_force().policy)
    return line_term(line, catalog, (get_language() or "en")[:2])


@register.filter
def is_trial(line: OrderLine) -> bool:
    """``{% if line|is_trial %}``: the line is a free trial (it ends, it is not paid until)."""
    return bool(line_trial_days(line, active_catalog(policy=in_force().policy)))
