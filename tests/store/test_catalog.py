"""The catalogues: the examples load; a broken one is refused with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.policy import load_policy
from keepfaith.store.catalog import CatalogError, catalog_load, catalog_parse
from tests.store.conftest import QUALISPACE, QUALITYSSL

SSL = load_policy(QUALITYSSL)
SPACE = load_policy(QUALISPACE)


@pytest.mark.clause("SITE-2")
def test_the_certificate_catalogue_has_every_product_of_the_seed_site():
    catalog = catalog_load(QUALITYSSL.parent / "catalog.yaml", policy=SSL)
    names = {p.name["en"] for p in catalog.products}
    assert names == {
        "QualitySSL",
        "QualitySSL Mobile",
        "QualitySSL UCC",
        "QualitySSL Wildcard",
        "QualitySSL Intranet",
        "QualitySSL Trial",
    }
    assert catalog.currency == SSL.controller.currency == "EUR"
    trial = catalog.product("qualityssl-trial")
    assert trial is not None and trial.trial_days == 30 and trial.price == 0
    ucc = catalog.product("qualityssl-ucc")
    assert ucc is not None and ucc.options[0].unit_price > 0
    assert all(p.renewal is not None for p in catalog.products)


@pytest.mark.clause("SITE-2")
def test_the_hosting_catalogue_has_a_configurator():
    catalog = catalog_load(QUALISPACE.parent / "catalog.yaml", policy=SPACE)
    assert catalog.currency == "USD"
    for product in catalog.products:
        assert {o.id for o in product.options} == {"disk", "domains"}
        assert len(product.terms) > 1


GOOD = """currency: EUR
vat: {rate_percent: 25, note: {en: excl. VAT, da: uden moms}}
products:
  - id: one
    kind: certificate
    name: {en: One, da: En}
    summary: {en: One cert, da: Et cert}
    price: 100
    terms: [{months: 12}]
"""


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("currency: EUR", "currency: USD"), ":1:11: error: currency:", "policy's currency is EUR"),
        (("price: 100", "price: -5"), ":8:12: error: products[0].price:", "greater than or equal"),
        (("price: 100", "prise: 100"), "products[0].prise", "unknown key 'prise'"),
        (("da: En}", "de: En}"), "products[0].name", "missing the text in da"),
        (("months: 12", "months: 5"), "products[0].terms[0].months", "whole number of periods"),
        (
            ("price: 100", "price: 100\n    outside_party: notary\n"),
            "products[0].outside_party",
            "'notary' is not an outside party of the policy",
        ),
    ],
)
def test_a_broken_catalogue_names_file_line_and_path(change, where, message):
    with pytest.raises(CatalogError) as caught:
        catalog_parse(raw=GOOD.replace(*change), file="shop.yaml", policy=SSL)
    text = str(caught.value)
    assert f"shop.yaml{where}" in text or where in text
    assert message in text


def test_a_missing_catalogue_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CatalogError, match="cannot read the catalogue"):
        catalog_load(tmp_path / "catalog.yaml", policy=SSL)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_input_gives_a_catalogue_or_a_catalog_error(raw):
    try:
        catalog_parse(raw=raw, file="fuzz.yaml", policy=SSL)
    except CatalogError as exc:
        assert exc.problems
