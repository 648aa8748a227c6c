"""What each certificate product asks for: the names (SITE-2).

A product's ``NameRule`` says which names an order may have: one domain with or without
``www`` (standard, mobile, trial), several (UCC: the included names plus the extra names
bought), a wildcard, or internal names (intranet). ``order_names_check`` turns what the
customer typed into the names to order, or says what is wrong.

The rules of the example catalogue's products are in ``PRODUCT_RULES``; a product that is
not listed gets the standard rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from keepfaith.certs.names import name_normalise, name_problem


@dataclass(frozen=True)
class NameRule:
    kind: str  # "single", "multi", "wildcard", "intranet"
    included: int = 1


PRODUCT_RULES = {
    "qualityssl": NameRule("single"),
    "qualityssl-mobile": NameRule("single"),
    "qualityssl-trial": NameRule("single"),
    "qualityssl-ucc": NameRule("multi", included=3),
    "qualityssl-wildcard": NameRule("wildcard"),
    "qualityssl-intranet": NameRule("intranet", included=3),
}


class NamesError(ValueError):
    """The names do not fit the product; the message says why."""


def _with_www(names: list[str]) -> list[str]:
    if len(names) == 1 and not names[0].startswith("www."):
        return [names[0], "www." + names[0]]
    return names


def order_names_check(*, product: str, names: Sequence[str], extra_names: int = 0) -> list[str]:
    """The names to order for ``product``; raises ``NamesError``.

    One name for a single-domain product also covers its ``www.`` form (both go in the
    certificate); a wildcard product takes ``*.example.com`` (and adds ``example.com``).
    """
    rule = PRODUCT_RULES.get(product, NameRule("single"))
    wanted = list(dict.fromkeys(name_normalise(n) for n in names if n.strip()))
    if not wanted:
        raise NamesError(_("Name the domain the certificate is for."))
    internal = rule.kind == "intranet"
    for name in wanted:
        problem = _problem(name, wildcard=rule.kind == "wildcard", internal=internal)
        if problem:
            raise NamesError(_("“%(name)s”: %(problem)s.") % {"name": name, "problem": problem})
    limit = rule.included + max(extra_names, 0) if rule.kind in ("multi", "intranet") else 1
    if rule.kind == "single":
        base = {n.removeprefix("www.") for n in wanted}
        if len(base) != 1:
            raise NamesError(_("This certificate is for one domain, with and without www."))
        return _with_www(wanted)
    if rule.kind == "wildcard":
        if len(wanted) != 1 or not wanted[0].startswith("*."):
            raise NamesError(_("Give one wildcard name, such as *.example.com."))
        return [wanted[0], wanted[0][2:]]
    if len(wanted) > limit:
        raise NamesError(
            _("This certificate covers %(limit)d names; buy extra names for more.")
            % {"limit": limit}
        )
    return wanted


def _problem(name: str, *, wildcard: bool, internal: bool) -> str | None:
    if name.startswith("*.") and not wildcard:
        return _("a wildcard name needs the wildcard product")
    return name_problem(name, wildcard=wildcard, single_label=internal)
