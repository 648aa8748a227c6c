"""Reads for partner releases: the counts each aggregate is made from, and the release records.

Counts only leave these functions: the web-log counts come from the day aggregates
(``keepfaith.weblog.reports.dimension_totals``), the order counts from the store's orders,
read here read-only (the store's own models, no write), grouped in the database and in memory
without any customer row leaving the function.

**Country of a customer** (the orders aggregate): the store keeps no country on an order, so
it is the country the customer's postal address names on its last line or after its last
comma (a country name in English or Danish, or an ISO code, e.g. ``Sverige``, ``SE``). An
address that names no country counts as the controller's own country, as a domestic letter
is addressed; an empty address counts as unknown (``??``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from keepfaith.consent.selectors import restricted_subjects
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget
from keepfaith.weblog.reports import dimension_totals
from keepfaith.weblog.store import WeblogPaths

UNKNOWN_COUNTRY = "??"
_LOG_DIMENSIONS = {"countries": "country", "browsers": "browser"}


def log_counts(
    *, paths: WeblogPaths, aggregate: str, start: dt.date, end: dt.date
) -> dict[str, int]:
    """Visitor-days per value of a web-log aggregate (``countries``, ``browsers``)."""
    return dimension_totals(paths=paths, dimension=_LOG_DIMENSIONS[aggregate], start=start, end=end)


@functools.cache
def _country_names() -> dict[str, str]:
    import pycountry

    danish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["da"])
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
            danish.gettext(country.name),
            country.alpha_3,
        ):
            if name:
                names[name.casefold()] = code
        names[code.casefold()] = code
    return names


def address_country(*, address: str, home: str) -> str:
    """The ISO code of the country ``address`` names last; ``home`` when it names none."""
    text = address.replace("\r", "\n").strip()
    if not text:
        return UNKNOWN_COUNTRY
    last = text.split("\n")[-1].split(",")[-1].strip().strip(".").casefold()
    return _country_names().get(last, home)


@dataclass(frozen=True, slots=True)
class OrderCounts:
    """Customers per (product, country); distinct customers per product, per country and
    in all (a customer with two products counts once in the totals' people)."""

    cells: dict[tuple[str, ...], int]
    people: dict[tuple[str | None, ...], int]


def order_counts(
    *, start: dt.date, end: dt.date, home: str, max_products: int | None = None
) -> OrderCounts:
    """Customers who ordered each product, by country, in orders paid ``start``..``end``
    (UTC days), leaving out customers whose restriction of processing holds (their data
    serves only what ``rights.restriction_permits`` names). ``max_products`` keeps each
    customer in at most that many product rows (the first they ordered), bounding what one
    customer changes (differential privacy)."""
    from keepfaith.store.models import OrderLine

    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = (
        OrderLine.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until)
        # a restriction (or an erasure that kept the orders) leaves a customer out (Art. 18)
        .exclude(order__customer__customer_number__in=restricted_subjects())
        .order_by("order__paid_at", "pk")
        .values_list("product_id", "order__customer_id", "order__customer__postal_address")
    )
    return _group(rows, home=home, max_products=max_products)


def _group(
    rows: Iterable[tuple[str, int, str]], *, home: str, max_products: int | None
) -> OrderCounts:
    products: dict[int, list[str]] = defaultdict(list)
    country: dict[int, str] = {}
    for product, customer, address in rows:
        if product in products[customer]:
            continue
        if max_products is None or len(products[customer]) < max_products:
            products[customer].append(product)
        country.setdefault(customer, address_country(address=address or "", home=home))
    cells: dict[tuple[str, ...], int] = defaultdict(int)
    by_product: dict[str, set[int]] = defaultdict(set)
    by_country: dict[str, set[int]] = defaultdict(set)
    for customer, bought in products.items():
        for product in bought:
            cells[(product, country[customer])] += 1
            by_product[product].add(customer)
            by_country[country[customer]].add(customer)
    people: dict[tuple[str | None, ...], int] = dict(cells.items())
    people.update({(p, None): len(c) for p, c in by_product.items()})
    people.update({(None, k): len(c) for k, c in by_country.items()})
    people[(None, None)] = sum(1 for bought in products.values() if bought)
    return OrderCounts(dict(cells), people)


def releases_recent(*, partner: str | None = None, limit: int = 100) -> list[PartnerRelease]:
    """The latest releases, newest first (of one partner, or of all)."""
    rows = PartnerRelease.objects.all()
    if partner is not None:
        rows = rows.filter(partner=partner)
    return list(rows[:limit])


def release_get(*, release_id: int) -> PartnerRelease | None:
    """One release record, or None."""
    return PartnerRelease.objects.filter(pk=release_id).first()


def release_exists(*, partner: str, start: dt.date, end: dt.date) -> bool:
    """True when ``partner`` already got a release of exactly this period."""
    return PartnerRelease.objects.filter(
        partner=partner, period_start=start, period_end=end
    ).exists()


def budget_spent(*, partner: str, months: Iterable[dt.date]) -> dict[dt.date, float]:
    """Epsilon spent on each of ``months`` (first days) for ``partner`` (0 when none)."""
    wanted = list(months)
    spent = dict(
        PrivacyBudget.objects.filter(partner=partner, month__in=wanted).values_list(
            "month", "epsilon_spent"
        )
    )
    return {month: float(spent.get(month, 0.0)) for month in wanted}
