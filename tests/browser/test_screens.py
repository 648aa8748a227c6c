"""Every customer page, looked at the way a person does: in Chromium at 1280 and 390 px wide,
in English and Danish, with a screenshot of each. A page fails when it scrolls sideways, has
no ``lang`` of its language, lacks the brand, or shows an internal identifier (a use key, a
Python list, a field name, an ISO timestamp, ...).

Screenshots go to ``$KEEPFAITH_SCREENSHOTS`` when set (look at them), else to a temporary dir.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from keepfaith.accounts.models import User
from keepfaith.consent.models import ConsentEvent
from keepfaith.inforce import in_force
from keepfaith.store.models import Order
from keepfaith.support.conversation import support_reply_staff
from keepfaith.support.forms import SupportTicketForm
from keepfaith.support.models import SupportTicket
from keepfaith.support.services import support_ticket_create
from keepfaith.vault.gateway import payment_processor_reset
from tests.browser.conftest import full_page_screenshot
from tests.conftest import PASSWORD, make_staff
from tests.portal.test_danish_pages import ENGLISH_UI, PROGRAM_WORDS
from tests.store.conftest import OV_DETAILS, card_fields, checkout_page

BRAND = "QualitySSL"
WIDTHS = (1280, 390)
LANGUAGES = ("en", "da")

PUBLIC = (
    "/",
    "/shop/",
    "/shop/qualityssl/",
    "/cart/",
    "/privacy/",
    "/privacy/updates/",
    "/cookies/",
    "/tools/",
    "/support/",
    "/support/request/",
    "/support/request/sent/",
    "/privacy/request/",
    "/account/login/",
    "/account/signup/",
    "/account/password/reset/",
    "/no-such-page/",
)
SIGNED_IN = (
    "/",
    "/account/",
    "/account/contact/",
    "/account/preferences/",
    "/account/consent/",
    "/account/consent/{receipt}/",
    "/account/password/",
    "/account/orders/",
    "/account/orders/{active}/",
    "/account/orders/{active}/thanks/",
    "/account/orders/{active}/invoice/",
    "/account/orders/{waiting}/",
    "/account/orders/{waiting}/cancel/",
    "/account/certificates/",
    "/account/privacy/",
    "/support/",
    "/support/ticket/",
    "/support/ticket/{ticket}/",
)

# What a customer must never read: the software's names for things.
INTERNAL = {
    "use key": re.compile(
        r"\b(?:essential|marketing|analytics|functional|personali[sz]e|third_party_sharing|"
        r"user)\.[a-z_]+(?:\.[a-z_]+)*\b"
    ),
    "python list": re.compile(r"\[['\"]|['\"]\]"),
    "field name": re.compile(r"\b[a-z]+_(?:id|name|number|address|at|minor|months)\b"),
    "outside party key": re.compile(r"outside_party:|form:[a-z-]+"),
    "ISO timestamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}:\d{2}\.\d{3,6}"),
    "retention keyword": re.compile(r"\buntil-withdrawn\b|\bwhile-customer\b"),
    "duration code": re.compile(r"\b\d+[dy]\b"),
    "state code": re.compile(r"\b(?:opted-out|opted-in|notice-acknowledged)\b"),
    "bad plural": re.compile(r"\b1 (?:customers|orders|days|years|requests)\b"),
    "empty list item": re.compile(r", \."),
}
REFERENCE = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32,}\b"
)


def screenshots_dir(tmp_path: Path) -> Path:
    where = Path(os.environ.get("KEEPFAITH_SCREENSHOTS") or tmp_path / "screens")
    where.mkdir(parents=True, exist_ok=True)
    return where


# What alice writes and buys, in the language of the pages looked at: stored words (an order
# line's description, a ticket's text) keep the language they were written in.
WRITTEN = {
    "en": ("Certificate chain incomplete", "Firefox says the chain is incomplete since yesterday.",
           "Which file does ssl_certificate point at?"),
    "da": ("Certifikatkæden mangler et led", "Firefox siger siden i går, at kæden mangler et led.",
           "Hvilken fil peger ssl_certificate på?"),
}  # fmt: skip


def _buy(client: Client, prefix: str, product: str, **fields: Any) -> None:
    term = {k: v for k, v in fields.items() if k == "term"}
    rest = {k: v for k, v in fields.items() if k != "term"}
    client.post(f"{prefix}/cart/", {"product": product, "action": "add", "quantity": "1", **term})
    data = checkout_page(client, client.get(f"{prefix}/checkout/"))
    client.post(f"{prefix}/checkout/", {**data, **card_fields(), **rest})


def _prepare(settings: Any, tmp_path: Path, lang: str) -> dict[str, str]:
    """alice with an active order, one waiting for the go-ahead and a ticket bob answered."""
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    alice = User.objects.create_user(
        "alice@example.com", PASSWORD, full_name="Alice Andersen", is_active=True
    )
    bob = make_staff("bob@staff.example", "support")
    client = Client()
    client.force_login(alice)
    prefix = "" if lang == "en" else f"/{lang}"
    summary, description, reply = WRITTEN[lang]
    _buy(client, prefix, "qualityssl-mobile", term="24")
    active = Order.objects.get(customer=alice)
    _buy(client, prefix, "qualityssl", go_ahead="wait", **OV_DETAILS)
    waiting = Order.objects.exclude(pk=active.pk).get(customer=alice)
    form = SupportTicketForm(subject=alice.customer_number)
    form = SupportTicketForm(
        data={
            "email": alice.email,
            "name": alice.full_name,
            "summary": summary,
            "description": description,
            "operating_system": "Debian 12",
            "browser": "Firefox 128",
            "software_versions": "nginx 1.22",
            "shown_policy_version": form.version_label,
        },
        subject=alice.customer_number,
    )
    assert form.is_valid(), form.errors
    ticket = support_ticket_create(form=form, customer=alice)
    now = in_force()
    support_reply_staff(
        ticket=ticket,
        staff=bob,
        body=reply,
        waiting=True,
        gate=now.gate(actor=in_force_actor(bob)),
        language=lang,
    )
    assert SupportTicket.objects.count() == 1
    receipt = ConsentEvent.objects.filter(subject=alice.customer_number).latest("seq")
    return {
        "active": active.number,
        "waiting": waiting.number,
        "ticket": ticket.reference,
        "receipt": receipt.receipt_ref,
    }


def in_force_actor(user: User) -> Any:
    from keepfaith.audit.models import ActorKind
    from keepfaith.audit.services import Actor

    return Actor(ActorKind.STAFF, user.email)


def _check(page: Any, url: str, lang: str, url_path: str = "") -> list[str]:
    problems = []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            """() => { const edge = document.documentElement.clientWidth + 1;
                return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > edge)
                .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', '); }"""
        )
        problems.append(f"{url}: scrolls sideways by {overflow}px ({wide})")
    hidden_controls = page.evaluate(
        """() => { const edge = document.documentElement.clientWidth + 1;
            return [...document.querySelectorAll('main input, main select, main button')]
            .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
            .filter(e => e.getBoundingClientRect().right > edge)
            .slice(0, 3).map(e => (e.name || e.tagName) + '').join(', '); }"""
    )
    if hidden_controls:  # a control the reader must scroll sideways to find
        problems.append(f"{url}: controls beyond the screen's edge: {hidden_controls}")
    cut_tables = page.evaluate(
        """() => [...document.querySelectorAll('main .table-wrap, main table')]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .slice(0, 3).map(e => (e.querySelector('table') || e).className || 'table')"""
    )
    if cut_tables:  # a column the reader sees only by scrolling the table sideways
        problems.append(f"{url}: a table hides columns beyond its edge: {cut_tables}")
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{url}: html lang is {page.get_attribute('html', 'lang')!r}, not {lang}")
    if BRAND not in page.inner_text("header"):
        problems.append(f"{url}: no {BRAND} in the header")
    if BRAND not in page.title() or "keepfaith" in page.title():
        problems.append(f"{url}: the title {page.title()!r} is not under {BRAND}")
    text = page.inner_text("body")
    if lang == "da":  # the site's own English words, as tests/portal/test_danish_pages
        english = sorted(set(ENGLISH_UI.findall(text)) - set(PROGRAM_WORDS.get(url_path, [])))
        if english:
            problems.append(f"{url}: English on a Danish page: {english}")
    # references a customer may quote (a receipt's UUID, a ledger fingerprint) are hex: a
    # group like "818d" in them is not a duration code, so they are left out of the search
    plain = REFERENCE.sub(" ", text)
    for name, pattern in INTERNAL.items():
        found = pattern.search(plain)
        if found:
            problems.append(f"{url}: shows a {name}: {found.group(0)!r}")
    return problems


def _visit(
    page: Any, base: str, path: str, lang: str, width: int, out: Path, who: str
) -> list[str]:
    prefix = "" if lang == "en" else f"/{lang}"
    url = f"{base}{prefix}{path}"
    page.goto(url)
    name = f"{lang}-{width}-{who}-{path.strip('/').replace('/', '_') or 'home'}.png"
    full_page_screenshot(page, out / name)
    return _check(page, f"{prefix}{path} @{width}", lang, f"{prefix}{path}")


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/account/login/")
    page.fill("input[name=username]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_customer_page_fits_speaks_and_carries_the_brand(
    lang, browser, live_server, transactional_db, settings, tmp_path
):
    numbers = _prepare(settings, tmp_path, lang)
    out = screenshots_dir(tmp_path)
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            for path in PUBLIC:
                problems += _visit(page, live_server.url, path, lang, width, out, "visitor")
            _log_in(page, live_server.url)
            for path in SIGNED_IN:
                where = path.format(**numbers)
                problems += _visit(page, live_server.url, where, lang, width, out, "alice")
        finally:
            context.close()
    assert problems == [], "\n".join(problems)
