"""Prices come from the catalogue only; the arithmetic is the documented rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepfaith.policy import load_policy
from keepfaith.store.catalog import catalog_load
from keepfaith.store.errors import ShopError
from keepfaith.store.pricing import (
    configuration_validate,
    line_price,
    money,
    order_totals,
)
from tests.store.conftest import QUALISPACE, QUALITYSSL

SPACE = catalog_load(QUALISPACE.parent / "catalog.yaml", policy=load_policy(QUALISPACE))
SSL = catalog_load(QUALITYSSL.parent / "catalog.yaml", policy=load_policy(QUALITYSSL))


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.clause("SITE-2")
def test_the_configurator_price_follows_the_rule():
    plan = SPACE.product("business")
    assert plan is not None
    disk = next(c for c in plan.options[0].choices if c.id == "50gb")
    domains = plan.options[1]
    term = plan.terms[-1]
    config = configuration_validate(
        SPACE,
        product_id="business",
        options={"disk": "50gb", "domains": "4"},
        term_months=str(term.months),
        quantity="2",
    )
    per_month = plan.price + disk.price + (4 - domains.included) * domains.unit_price
    unit = half_up(Decimal(per_month * term.months) * (100 - term.discount_percent) / 100)
    line = line_price(SPACE, config)
    assert (line.unit_minor, line.total_minor) == (unit, 2 * unit)


@pytest.mark.clause("SITE-2")
def test_ucc_is_priced_per_extra_name_and_vat_is_added_once():
    ucc = SSL.product("qualityssl-ucc")
    assert ucc is not None
    lines = [
        line_price(SSL, configuration_validate(SSL, product_id="qualityssl-ucc", options=o))
        for o in ({"extra_names": "0"}, {"extra_names": "5"})
    ]
    assert lines[1].unit_minor - lines[0].unit_minor == 5 * ucc.options[0].unit_price
    totals = order_totals(SSL, lines)
    subtotal = lines[0].total_minor + lines[1].total_minor
    assert totals.subtotal_minor == subtotal
    assert totals.vat_minor == half_up(Decimal(subtotal) * SSL.vat.rate_percent / 100)
    assert totals.total_minor == subtotal + totals.vat_minor


@pytest.mark.clause("SITE-5")
def test_a_line_is_described_in_the_buyer_s_language_options_included():
    config = configuration_validate(
        SSL, product_id="qualityssl-ucc", options={"extra_names": "2"}, term_months="24"
    )
    english = line_price(SSL, config, lang="en").description
    danish = line_price(SSL, config, lang="da").description
    assert english.endswith("2 extra names, 24 months")
    assert danish.endswith("2 ekstra navne, 24 måneder")


def test_money_is_shown_with_two_decimals_in_the_page_language():
    assert money(123456, "EUR") == "EUR 1,234.56"
    assert money(123456, "EUR", lang="da") == "EUR 1.234,56"


@pytest.mark.clause("SITE-2")
@settings(max_examples=200, deadline=None)
@given(
    product=st.one_of(st.sampled_from([p.id for p in SSL.products]), st.text(max_size=80)),
    options=st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=3),
    term=st.one_of(st.none(), st.text(max_size=80), st.integers()),
    quantity=st.one_of(st.text(max_size=80), st.integers(), st.booleans(), st.none()),
)
def test_any_browser_input_is_priced_or_refused_with_a_shop_error(product, options, term, quantity):
    try:
        config = configuration_validate(
            SSL, product_id=product, options=options, term_months=term, quantity=quantity
        )
    except ShopError as exc:
        assert str(exc)
        return
    line = line_price(SSL, config)
    assert 1 <= config.quantity <= 20
    assert line.total_minor == line.unit_minor * config.quantity >= 0
