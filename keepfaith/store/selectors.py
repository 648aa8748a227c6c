"""Reads of the shop: the catalogue in force, a customer's orders, orders for billing staff."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.policy import Policy
from keepfaith.store.catalog import Catalog, catalog_load
from keepfaith.store.models import Order, OrderLine, OutsideTransfer, Renewal

_lock = threading.Lock()
# (file, its mtime, the policy object's id) -> (the policy, kept so the id stays its own; the
# catalogue). The composition root hands out one policy object per version.
_cache: dict[tuple[str, int, int], tuple[Policy, Catalog]] = {}


def catalog_path() -> Path:
    """``catalog.yaml`` next to the configured policy file."""
    return Path(settings.POLICY_PATH).parent / "catalog.yaml"


def active_catalog(*, policy: Policy) -> Catalog:
    """The catalogue beside the policy, checked against ``policy`` (the one in force; cached
    per file version and policy); raises ``CatalogError`` naming every problem."""
    path = catalog_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(path), stamp, id(policy))
    with _lock:
        cached = _cache.get(key)
    if cached is None or cached[0] is not policy:
        cached = (policy, catalog_load(path, policy=policy))
        with _lock:
            _cache.clear()
            _cache[key] = cached
    return cached[1]


def orders_of(customer: User) -> QuerySet[Order]:
    """A customer's orders, newest first, with lines, renewals and card."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("card")
        .prefetch_related("lines__renewal__charges", "transfers")
    )


def order_of(customer: User, number: str) -> Order | None:
    """One of the customer's own orders by number; None for anyone else's."""
    return orders_of(customer).filter(number=number[:16]).first()


def orders_for_billing(*, search: str = "") -> QuerySet[Order]:
    """Every order for billing staff, newest first; ``search`` matches number or customer."""
    orders = Order.objects.select_related("customer", "card").prefetch_related(
        "lines__renewal__charges"
    )
    search = search.strip()[:100]
    if search:
        orders = orders.filter(
            Q(number__icontains=search)
            | Q(customer__customer_number__icontains=search)
            | Q(customer__email__icontains=search)
        )
    return orders


def transfers_queued() -> QuerySet[OutsideTransfer]:
    return OutsideTransfer.objects.filter(status="queued").select_related("order__customer")


def customers_with_active_service(*, today: date | None = None) -> QuerySet[User]:
    """Customers with a service running today: an order line whose term (up to its renewal
    date) has not ended. The audience of service announcements (BE-8)."""
    today = today or timezone.localdate()
    running = Renewal.objects.filter(line__order__customer=OuterRef("pk"), due__gte=today)
    return User.objects.filter(Exists(running), is_staff=False, is_active=True)


def order_line_at(order: Order, line: int) -> OrderLine | None:
    """The order's ``line``-th line (from 1, in the order it was placed): addresses name a
    line by its place in its order, never by its row number."""
    lines = list(order.lines.all())
    return lines[line - 1] if 1 <= line <= len(lines) else None


def line_place(line: OrderLine) -> int:
    """The line's place in its order (from 1): what addresses and evidence name it by."""
    return list(line.order.lines.values_list("pk", flat=True)).index(line.pk) + 1


def line_trial_days(line: OrderLine, catalog: Catalog) -> int | None:
    """The free trial's days when the line is a trial (as the catalogue sells it), else None."""
    product = catalog.product(line.product_id)
    return product.trial_days if product is not None else None


def line_term(line: OrderLine, catalog: Catalog, lang: str) -> str:
    """How long the line runs, in ``lang`` ("30 days" for a trial, "12 months")."""
    from keepfaith.store.pricing import term_words

    return term_words(line.term_months, line_trial_days(line, catalog), lang)


def line_words(line: OrderLine, catalog: Catalog, lang: str) -> str:
    """What an order line bought, in ``lang``, from the catalogue (product, options, term):
    a Danish reader of an order placed in English reads it in Danish. As written at checkout
    when the catalogue no longer sells it that way."""
    from keepfaith.store.cart import line_configuration
    from keepfaith.store.errors import ShopError
    from keepfaith.store.pricing import line_price

    stored = {
        "product": line.product_id,
        "options": line.options,
        "term": line.term_months,
        "quantity": line.quantity,
    }
    try:
        return line_price(catalog, line_configuration(catalog, stored), lang=lang).description
    except ShopError:
        return line.description
