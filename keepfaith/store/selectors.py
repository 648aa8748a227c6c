"""Reads of the shop: the catalogue in force, a customer's orders, orders for billing staff."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.policy.render import policy_content_hash
from keepfaith.store.catalog import Catalog, catalog_load
from keepfaith.store.models import Order, OutsideTransfer, Renewal
from keepfaith.versions.selectors import active_policy

_lock = threading.Lock()
_cache: dict[tuple[str, int, str], Catalog] = {}


def catalog_path() -> Path:
    """``catalog.yaml`` next to the configured policy file."""
    return Path(settings.POLICY_PATH).parent / "catalog.yaml"


def active_catalog() -> Catalog:
    """The catalogue beside the policy, checked against the policy in force (cached per file
    version and policy); raises ``CatalogError`` naming every problem."""
    path = catalog_path()
    policy, version = active_policy()
    policy_key = version.content_hash if version is not None else policy_content_hash(policy)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    key = (str(path), stamp, policy_key)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = catalog_load(path, policy=policy)
        with _lock:
            _cache.clear()
            _cache[key] = cached
    return cached


def orders_of(customer: User) -> QuerySet[Order]:
    """A customer's orders, newest first, with lines, renewals and card."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("card")
        .prefetch_related("lines__renewal", "transfers")
    )


def order_of(customer: User, number: str) -> Order | None:
    """One of the customer's own orders by number; None for anyone else's."""
    return orders_of(customer).filter(number=number[:16]).first()


def orders_for_billing(*, search: str = "") -> QuerySet[Order]:
    """Every order for billing staff, newest first; ``search`` matches number or customer."""
    orders = Order.objects.select_related("customer", "card").prefetch_related("lines__renewal")
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
