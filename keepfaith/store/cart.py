"""The shopping cart, kept in the session (a strictly necessary cookie, QS-7).

Rules kept here:

- The cart holds ids and numbers only (product, options, term, quantity), never a price and
  never personal data; prices are computed from the catalogue whenever the cart is shown.
- Reading the cart never writes the session, so a visitor who only browses gets no session;
  the first ``cart_add`` creates it.
- Every line is checked against the catalogue when added and again when priced; a line the
  catalogue no longer sells is dropped with a message.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from django.utils.translation import gettext as _

from keepfaith.policy.trace import enforces
from keepfaith.store.catalog import Catalog
from keepfaith.store.errors import ShopError
from keepfaith.store.pricing import (
    MAX_LINES,
    Configuration,
    PricedLine,
    configuration_validate,
    line_price,
)

CART_KEY = "cart"
TOKEN_KEY = "checkout_token"  # noqa: S105 (a session key, not a secret)

Session = MutableMapping[str, Any]


def cart_lines(session: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The raw lines in the session (a copy); empty when there is no cart."""
    lines = session.get(CART_KEY)
    return (
        [dict(line) for line in lines if isinstance(line, dict)] if isinstance(lines, list) else []
    )


@enforces("QS-7", "SITE-2")
def cart_add(
    session: Session,
    catalog: Catalog,
    *,
    product_id: object,
    options: Mapping[str, object],
    term_months: object,
    quantity: object,
) -> Configuration:
    """Check a configuration and add it to the cart; raises ``ShopError`` and adds nothing."""
    configuration = configuration_validate(
        catalog,
        product_id=product_id,
        options=options,
        term_months=term_months,
        quantity=quantity,
    )
    lines = cart_lines(session)
    product = catalog.product(configuration.product_id)
    trial = product is not None and bool(product.trial_days)
    if trial and any(line.get("product") == configuration.product_id for line in lines):
        raise ShopError(_("the free trial is in your cart already"))
    if len(lines) >= MAX_LINES:
        raise ShopError(
            _("a cart holds at most %(most)d lines; check out or remove some") % {"most": MAX_LINES}
        )
    session[CART_KEY] = [*lines, configuration.as_session()]
    return configuration


def cart_remove(session: Session, *, index: object) -> None:
    """Remove one line by its position; an unknown position changes nothing."""
    lines = cart_lines(session)
    text = str(index)
    if text.isascii() and text.isdigit() and int(text) < len(lines):
        del lines[int(text)]
        session[CART_KEY] = lines


def cart_clear(session: Session) -> None:
    if CART_KEY in session:
        del session[CART_KEY]


def line_configuration(catalog: Catalog, line: Mapping[str, Any]) -> Configuration:
    """A stored cart line checked again against the catalogue; raises ``ShopError``."""
    options = line.get("options")
    return configuration_validate(
        catalog,
        product_id=line.get("product"),
        options=options if isinstance(options, dict) else {},
        term_months=line.get("term"),
        quantity=line.get("quantity"),
    )


def cart_priced(
    session: Mapping[str, Any], catalog: Catalog, *, lang: str = "en"
) -> tuple[list[PricedLine], list[str]]:
    """The cart's lines priced from the catalogue, and messages about lines dropped."""
    priced, dropped = [], []
    for line in cart_lines(session):
        try:
            priced.append(line_price(catalog, line_configuration(catalog, line), lang=lang))
        except ShopError as exc:
            dropped.append(_("A line was removed from your cart. %(reason)s") % {"reason": exc})
    return priced, dropped


def checkout_token(session: Session, *, renew: bool = False) -> str:
    """The token that makes one checkout one order: issued once, renewed after an order or a
    declined card (a new attempt is a new charge)."""
    token = session.get(TOKEN_KEY)
    if renew or not isinstance(token, str) or len(token) != 43:
        token = session[TOKEN_KEY] = secrets.token_urlsafe(32)
    return token
