"""Configurator and prices, computed on the server from the catalogue only.

Rules kept here:

- The browser sends a product id, option values, a term and a quantity, all as text; it never
  sends a price, and any price it sends is ignored. Every value is checked against the
  catalogue: unknown ids, values out of range, negative or absurd quantities and over-long
  text are refused with a message the customer can act on.
- A line's price per period is the product's price plus its chosen options; the term price is
  that times the periods in the term, less the term's discount, rounded half up to the minor
  unit; a line is that times the quantity. VAT is computed once on the order's subtotal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language, gettext, ngettext, override

from keepfaith.store.catalog import Catalog, Option, Product, text_in
from keepfaith.store.errors import ShopError

MAX_QUANTITY = 20
MAX_TEXT = 64
MAX_LINES = 20


@dataclass(frozen=True)
class Configuration:
    """A validated choice of product, options, term and quantity (no price: that is derived)."""

    product_id: str
    options: tuple[tuple[str, str], ...]
    term_months: int
    quantity: int

    def as_session(self) -> dict[str, object]:
        """Plain data for the session cart: ids and numbers only, never a price."""
        return {
            "product": self.product_id,
            "options": dict(self.options),
            "term": self.term_months,
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class PricedLine:
    configuration: Configuration
    product: Product
    description: str
    unit_minor: int
    total_minor: int


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int
    vat_minor: int
    total_minor: int
    vat_rate: Decimal


def _text(value: object, what: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ShopError(gettext("the %(what)s must be text") % {"what": what})
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ShopError(
            gettext("the %(what)s is too long (at most %(most)d characters)")
            % {"what": what, "most": MAX_TEXT}
        )
    return text


def _whole(value: object, what: str, low: int, high: int) -> int:
    text = _text(value, what)
    sign = text.startswith("-")
    digits = text[1:] if sign else text
    if not (digits.isascii() and digits.isdigit()):
        raise ShopError(gettext("the %(what)s must be a whole number") % {"what": what})
    number = -int(digits) if sign else int(digits)
    if number < low:
        if number < 0:
            raise ShopError(gettext("the %(what)s cannot be negative") % {"what": what})
        raise ShopError(
            gettext("the %(what)s must be at least %(low)d") % {"what": what, "low": low}
        )
    if number > high:
        raise ShopError(
            gettext("the %(what)s can be at most %(high)d") % {"what": what, "high": high}
        )
    return number


def _option_value(option: Option, raw: object | None) -> str:
    name = text_in(option.label, (get_language() or "en")[:2]).lower()
    if option.kind == "count":
        value = option.min if raw in (None, "") else raw
        return str(_whole(value, name, option.min, option.max))
    if raw in (None, ""):
        return option.default or option.choices[0].id
    choice = _text(raw, name)
    if choice not in {c.id for c in option.choices}:
        raise ShopError(
            gettext("“%(choice)s” is not a choice for %(name)s")
            % {"choice": choice[:80], "name": name}
        )
    return choice


def configuration_validate(
    catalog: Catalog,
    *,
    product_id: object,
    options: Mapping[str, object],
    term_months: object = None,
    quantity: object = 1,
) -> Configuration:
    """Check a configuration sent by the browser against the catalogue."""
    pid = _text(product_id, gettext("product"))
    product = catalog.product(pid)
    if product is None:
        raise ShopError(gettext("there is no such product; choose one from the shop"))
    known = {o.id: o for o in product.options}
    if len(options) > len(known) or any(key not in known for key in options):
        raise ShopError(gettext("an option was sent that this product does not have"))
    values = tuple((o.id, _option_value(o, options.get(o.id))) for o in product.options)
    months = product.terms[0].months if term_months in (None, "") else term_months
    term = _whole(months, gettext("term"), 1, 120)
    if term not in {t.months for t in product.terms}:
        raise ShopError(
            gettext("%(product)s is not sold for %(months)d months")
            % {"product": text_in(product.name, (get_language() or "en")[:2]), "months": term}
        )
    qty = _whole(quantity, gettext("quantity"), 1, most_of(product))
    return Configuration(product.id, values, term, qty)


def most_of(product: Product) -> int:
    """How many of ``product`` one cart line may hold: one free trial, else ``MAX_QUANTITY``."""
    return 1 if product.trial_days else MAX_QUANTITY


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _per_period(
    product: Product, values: Mapping[str, str], lang: str = "en"
) -> tuple[int, list[str]]:
    """The price of one period with these option values, and the options in words."""
    price, parts = product.price, []
    for option in product.options:
        value = values[option.id]
        if option.kind == "choice":
            choice = next(c for c in option.choices if c.id == value)
            price += choice.price
            parts.append(text_in(choice.label, lang))
        else:
            count = int(value)
            price += max(0, count - option.included) * option.unit_price
            unit = text_in(option.unit, lang) if option.unit else text_in(option.label, lang)
            parts.append(f"{count} {unit}")
    return price, parts


def term_price(product: Product, values: Mapping[str, str], term_months: int) -> int:
    """The price of one unit for the whole term, before VAT."""
    per_period, _ = _per_period(product, values)
    term = next(t for t in product.terms if t.months == term_months)
    periods = term.months // product.period_months
    return _half_up(Decimal(per_period * periods) * (100 - term.discount_percent) / 100)


def term_words(months: int, trial_days: int | None, lang: str) -> str:
    """How long a line runs, in ``lang``: a trial's days, otherwise its months."""
    with override(lang):
        if trial_days:
            return ngettext("%(n)d day", "%(n)d days", trial_days) % {"n": trial_days}
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


def line_price(catalog: Catalog, configuration: Configuration, *, lang: str = "en") -> PricedLine:
    """Price a validated configuration from the catalogue alone."""
    product = catalog.product(configuration.product_id)
    if product is None:
        raise ShopError(gettext("this product is no longer sold; remove it from the cart"))
    values = dict(configuration.options)
    unit = term_price(product, values, configuration.term_months)
    _, parts = _per_period(product, values, lang)
    term = term_words(configuration.term_months, product.trial_days, lang)
    description = ", ".join([text_in(product.name, lang), *parts, term])
    return PricedLine(configuration, product, description, unit, unit * configuration.quantity)


def order_totals(catalog: Catalog, lines: Iterable[PricedLine]) -> Totals:
    """Subtotal, VAT at the catalogue's rate (rounded half up) and the total to charge."""
    subtotal = sum(line.total_minor for line in lines)
    rate = catalog.vat.rate_percent
    vat = _half_up(Decimal(subtotal) * rate / 100)
    return Totals(subtotal, vat, subtotal + vat, rate)


def money_here(minor: int, currency: str) -> str:
    """``money`` in the language active for this request (the page's, the staff member's)."""
    from django.utils.translation import get_language

    return money(int(minor), currency, lang=(get_language() or "en")[:2])


def money(minor: int, currency: str, *, lang: str = "en") -> str:
    """``EUR 1,234.50`` (``EUR 1.234,50`` in Danish); Danish kroner in Danish the Danish way,
    ``1.234,50 kr.``. Minor units shown with two decimals, the currency the catalogue states."""
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    mark, group = (",", ".") if lang == "da" else (".", ",")
    amount = f"{sign}{whole:,}".replace(",", group) + f"{mark}{cents:02d}"
    if lang == "da" and currency == "DKK":
        return f"{amount} kr."
    return f"{currency} {amount}"
