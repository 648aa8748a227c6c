"""The aggregates a partner can be given (BE-6): what each counts, and from which data.

A partner's ``aggregates`` in the policy name entries of ``AGGREGATES``. Each entry says
where its figures come from (the web-log day aggregates or the orders), what one figure
counts, and the data categories it is derived from: the gate is asked for exactly those
categories with the partner as recipient, and ``policy check`` refuses a partner whose
categories (or whose use's categories) do not cover them.

The web-log aggregates count *visitor-days*: a visitor is a daily pseudonym (pseudonyms
rotate daily and are never joined), so one person who comes back on five days counts five.
The orders aggregate counts *customers*: one customer with many orders of a product in a
month counts once in that product's row; a release of several months adds the months up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from keepfaith.policy.schema import Policy

Source = Literal["logs", "orders"]


@dataclass(frozen=True, slots=True)
class AggregateKind:
    """One kind of aggregate: its source, its dimensions, its measure, its categories.

    ``categories`` None means "the categories of the access logs" (``log_files.categories``):
    the web-log aggregates are derived from the logs, whose personal data is the address.
    """

    key: str
    source: Source
    dimensions: tuple[str, ...]
    measure: str
    categories: tuple[str, ...] | None


AGGREGATES: dict[str, AggregateKind] = {
    "countries": AggregateKind("countries", "logs", ("registry_country",), "visitor_days", None),
    "browsers": AggregateKind("browsers", "logs", ("browser_family",), "visitor_days", None),
    "orders_by_product_country": AggregateKind(
        "orders_by_product_country",
        "orders",
        ("product", "country"),
        "customers",
        ("user.behavior.purchase_history", "user.contact.address.country"),
    ),
}


def aggregate_kind(key: str) -> AggregateKind | None:
    """The aggregate called ``key``, or None when keepfaith cannot produce it."""
    return AGGREGATES.get(key)


def aggregate_categories(*, policy: Policy, key: str) -> tuple[str, ...]:
    """The data categories aggregate ``key`` is derived from, under ``policy``."""
    kind = AGGREGATES[key]
    if kind.categories is not None:
        return kind.categories
    logs = policy.log_files
    return tuple(logs.categories) if logs is not None else ("user.device.ip_address",)
