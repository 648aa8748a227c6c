"""The customer's side of the shop (issue #21): the catalogue's cards, the product page that
prices every term on the server (no CSRF token in any GET form or link), and a checkout that
starts from the account's details, only those its collection point declares."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.inforce import in_force
from keepfaith.store.pricing import configuration_validate, line_price, money
from keepfaith.store.selectors import active_catalog
from tests.conftest import PASSWORD
from tests.store.conftest import QUALITYSSL, add_to_cart

EXAMPLES = Path(django_settings.BASE_DIR) / "examples"
VALIDATION = {
    "en": {"domain": "Domain validation (DV)", "organisation": "Organisation validation (OV)"},
    "da": {"domain": "Domænevalidering (DV)", "organisation": "Organisationsvalidering (OV)"},
}
GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>.*?</form>", re.S | re.I)


@pytest.fixture(autouse=True)
def qualityssl(settings: Any) -> None:
    settings.POLICY_PATH = QUALITYSSL


@pytest.mark.clause("SITE-2")
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_catalogue_shows_each_product_with_its_price_and_validation(db, lang):
    prefix = "" if lang == "en" else "/da"
    page = Client().get(f"{prefix}/shop/").content.decode()
    catalog = active_catalog(policy=in_force().policy)
    per_year = {"en": "per year", "da": "pr. år"}[lang]
    choose = {"en": "Choose", "da": "Vælg"}[lang]
    for product in catalog.products:
        card = re.search(
            rf'<li class="card product-card" data-product="{product.id}">.*?</li>', page, re.S
        )
        assert card, product.id
        text = card.group(0)
        assert product.name[lang] in text
        assert product.purpose and product.purpose[lang] in text
        assert VALIDATION[lang][product.validation or ""] in text
        if product.trial_days:
            assert {"en": "free for 30 days", "da": "gratis i 30 dage"}[lang] in text
        else:
            price = money(product.price, catalog.currency, lang=lang)
            assert f"{price} {per_year}" in text
        assert f'href="{prefix}/shop/{product.id}/"' in text and f"{choose} " in text


def _term_price(product_id: str, months: int, lang: str, **options: str) -> str:
    catalog = active_catalog(policy=in_force().policy)
    configuration = configuration_validate(
        catalog, product_id=product_id, options=options, term_months=months, quantity=1
    )
    return money(line_price(catalog, configuration, lang=lang).total_minor, "EUR", lang=lang)


@pytest.mark.clause("SITE-2")
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_product_page_prices_each_term_and_keeps_the_token_out_of_urls(db, lang):
    prefix = "" if lang == "en" else "/da"
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"{prefix}/shop/qualityssl-ucc/?option_extra_names=2").content.decode()
    for form in GET_FORM.findall(page):
        assert "csrfmiddlewaretoken" not in form
    for href in re.findall(r'(?:href|action|src)="([^"]*)"', page):
        assert "csrfmiddlewaretoken" not in href
    assert 'formmethod="get"' not in page
    post_form = r'<form method="post" action="[^"]*/cart/"[^>]*>\s*<input type="hidden" name="'
    assert re.search(post_form + 'csrfmiddlewaretoken"', page)
    for months in (12, 24, 36):
        price = _term_price("qualityssl-ucc", months, lang, extra_names="2")
        assert re.search(rf'data-term-price="{months}">{re.escape(price)}<', page), months
    total = _term_price("qualityssl-ucc", 12, lang, extra_names="2")
    assert f'<strong data-price aria-live="polite">{total}<' in page
    assert 'src="/static/keepfaith/product.js"' in page and "<script>" not in page


@pytest.mark.clause("SITE-2")
def test_the_price_address_answers_the_script_and_the_preview_posts(db):
    client = Client()
    answer = client.get("/shop/qualityssl-ucc/price/", {"option_extra_names": "3", "term": "24"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == _term_price("qualityssl-ucc", 24, "en", extra_names="3")
    assert body["terms"]["36"] == _term_price("qualityssl-ucc", 36, "en", extra_names="3")
    assert body["error"] == ""
    bad = client.get("/shop/qualityssl-ucc/price/", {"option_extra_names": "999"})
    assert bad.status_code == 400 and bad.json()["error"]
    assert client.get("/shop/nothing/price/").status_code == 404
    preview = client.post("/shop/qualityssl-ucc/", {"option_extra_names": "3", "term": "24"})
    assert preview.status_code == 200
    assert _term_price("qualityssl-ucc", 24, "en", extra_names="3") in preview.content.decode()
    refused = Client(enforce_csrf_checks=True).post("/shop/qualityssl-ucc/", {"term": "24"})
    assert refused.status_code == 403


def _customer(**details: str) -> Client:
    user = User.objects.create_user("dora@example.com", PASSWORD, full_name="Dora Dahl", **details)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.clause("QS-5")
def test_checkout_starts_from_the_accounts_details(db):
    client = _customer(
        postal_address="Nellikevej 1\n2625 Vallensbæk",
        phone="+45 12 34 56 78",
        organization="Dahl ApS",
    )
    add_to_cart(client, "qualityssl", term="12")
    page = client.get("/checkout/")
    form, party = page.context["form"], page.context["party"]
    assert form["billing_name"].value() == "Dora Dahl"
    assert form["billing_email"].value() == "dora@example.com"
    assert form["billing_address"].value() == "Nellikevej 1\n2625 Vallensbæk"
    assert form["card_number"].value() in (None, "")
    shown = {f.name: f.value() for f in party.outside_fields()}
    assert shown.get("name") == "Dora Dahl" and shown.get("email") == "dora@example.com"
    assert all(name in party.fields for name in shown)
    html = page.content.decode()
    assert "Dahl ApS" in html if "organisation" in party.fields else "Dahl ApS" not in html


@pytest.mark.clause("QS-5")
def test_checkout_fills_only_the_fields_its_point_declares(db, settings, tmp_path):
    shutil.copytree(EXAMPLES / "qualityssl", tmp_path / "shop")
    policy = tmp_path / "shop" / "policy.yaml"
    text = policy.read_text()
    checkout = text.index("  - id: checkout")
    line = "      - {category: user.contact.address, required: true}\n"
    at = text.index(line, checkout)
    policy.write_text(text[:at] + text[at + len(line) :])
    settings.POLICY_PATH = policy
    client = _customer(postal_address="Hemmelig Allé 7, 2100 København Ø")
    add_to_cart(client, "qualityssl-mobile", term="12")
    page = client.get("/checkout/")
    form = page.context["form"]
    assert "billing_address" not in form.fields and "billing_address" not in form.initial
    assert form["billing_name"].value() == "Dora Dahl"
    assert "Hemmelig Allé" not in page.content.decode()


def test_an_anonymous_checkout_still_asks_to_log_in(db):
    client = Client()
    add_to_cart(client, "qualityssl-mobile", term="12")
    response = client.get("/checkout/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]
