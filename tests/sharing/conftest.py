"""Fixtures for partner releases: drop folders and the web-log store in a temporary folder,
customers with orders in given months, and a sample access log ingested for a month."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _folders(settings: Any, tmp_path: Any) -> None:
    settings.SHARING_DIR = tmp_path / "sharing"
    settings.WEBLOG_DIR = tmp_path / "weblog"


@pytest.fixture
def pat_actor() -> Actor:
    return Actor(ActorKind.STAFF, "pat@staff.example")


def customer(*, address: str) -> User:
    n = next(_serial)
    return User.objects.create_user(
        f"buyer{n}@example.net", None, full_name=f"Buyer Number{n}", postal_address=address
    )


def order(*, buyer: User, products: list[str], paid: dt.datetime) -> None:
    """An order paid at ``paid`` with one line per product (the store's own models)."""
    from keepfaith.store.models import Order, OrderLine

    n = next(_serial)
    placed = Order.objects.create(
        customer=buyer, status="active", currency="DKK", subtotal_minor=100, vat_rate="25.00",
        vat_minor=25, total_minor=125, checkout_token=f"test-{n}", paid_at=paid, created=paid,
    )  # fmt: skip
    for product in products:
        OrderLine.objects.create(
            order=placed, product_id=product, description=product, term_months=12, quantity=1,
            unit_minor=100, total_minor=100,
        )  # fmt: skip


def buyers(*, count: int, address: str, products: list[str], paid: dt.datetime) -> list[User]:
    """``count`` new customers at ``address``, each with one order of ``products``."""
    made = []
    for _ in range(count):
        buyer = customer(address=address)
        order(buyer=buyer, products=products, paid=paid)
        made.append(buyer)
    return made


def ingest_month(*, first_day: dt.date, lines: int = 4000, seed: int = 5) -> None:
    """A sample access log of about a week from the 3rd of the month, ingested."""
    from keepfaith.weblog.conf import weblog_config
    from keepfaith.weblog.formats import log_format
    from keepfaith.weblog.ingest import logs_ingest
    from keepfaith.weblog.sample import write_sample_log

    config = weblog_config()
    start = dt.datetime.combine(first_day.replace(day=3), dt.time(0), tzinfo=dt.UTC)
    path = config.paths.root / f"sample-{first_day:%Y-%m}-{seed}.log"
    write_sample_log(path=path, lines=lines, seed=seed, start=start)
    logs_ingest(config=config, sources=[path], fmt=log_format(spec="combined"))
