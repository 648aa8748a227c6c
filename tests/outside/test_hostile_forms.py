"""Hostile input to every form of the site, as each kind of person who can reach it: every
field of every form found on every page, filled with values built to break things (very
long text, NUL and control characters, markup, template and SQL syntax, header injection,
card numbers). Expected: no 500, nothing reflected unescaped, no card number in any log.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests.outside.conftest import persona_clients
from tests.outside.test_urls import site_routes, url_for
from tests.store.conftest import add_to_cart

pytestmark = [pytest.mark.outside, pytest.mark.clause("QS-3"), pytest.mark.clause("QS-5")]

MARKUP = "<script>alert('kf')</script>"
HOSTILE = [
    "x" * 100_000,
    "\x00\x01\x02\x1b[31m\x7f",
    MARKUP,
    "{{ settings.SECRET_KEY }}{% debug %}",
    "' OR '1'='1' --; DROP TABLE accounts_user;",
    "a@b.c\r\nBcc: victim@example.com",
    "4242 4242 4242 4242",
    "\u202eevil\u202c \U0001d54f \U0001f916 \uff46\uff55\uff4c\uff4c",
    "../../../../etc/passwd",
    "a" * 300 + "@example.com",
    "-1",
    "",
]
PERSONAS = ("anonymous", "alice", "staff-administrator", "staff-marketing")
ALLOWED = {200, 302, 400, 403, 404, 405, 429}


class FormFinder(HTMLParser):
    """The forms of a page: method, action and fields (hidden values kept as given)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            method = (found.get("method") or "get").lower()
            self.open = {"method": method, "action": found.get("action") or "",
                         "fields": {}, "hidden": {}}  # fmt: skip
            self.forms.append(self.open)
        elif tag in ("input", "textarea", "select") and self.open and found.get("name"):
            name = str(found["name"])
            if found.get("type") == "hidden":
                self.open["hidden"][name] = found.get("value") or ""
            elif found.get("type") not in ("submit", "button"):
                self.open["fields"][name] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.open = None


def forms_on(client: Client, url: str) -> list[dict[str, Any]]:
    page = client.get(url)
    if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
        return []
    finder = FormFinder()
    finder.feed(page.content.decode(errors="replace"))
    return [
        {**form, "action": form["action"] or url}
        for form in finder.forms
        if form["method"] == "post" and form["fields"]
    ]


def test_every_form_survives_hostile_input(world, caplog):
    caplog.set_level(logging.DEBUG)
    personas = persona_clients(world)
    values = {
        **world["alice"].params,
        **world["console_params"],
        "token": "t",
        "product_id": "qualityssl",
    }
    posted, problems = 0, []
    for name, params in site_routes():
        for persona in PERSONAS:
            url = url_for(name, params, values)
            for form in forms_on(personas[persona](), url):
                for hostile in HOSTILE:
                    client = personas[persona]()
                    data = {**form["hidden"], **dict.fromkeys(form["fields"], hostile)}
                    response = client.post(form["action"], data)
                    posted += 1
                    body = response.content.decode(errors="replace")
                    if response.status_code not in ALLOWED or MARKUP in body:
                        problems.append(
                            (persona, form["action"], hostile[:40], response.status_code)
                        )
    for hostile in HOSTILE:  # the checkout form needs a cart first
        shopper = personas["alice"]()
        add_to_cart(shopper, "qualityssl-mobile", term="12")
        [form] = [f for f in forms_on(shopper, "/checkout/") if f["action"] == "/checkout/"]
        data = {**form["hidden"], **dict.fromkeys(form["fields"], hostile)}
        response = shopper.post("/checkout/", data)
        posted += 1
        if response.status_code not in ALLOWED or MARKUP in response.content.decode():
            problems.append(("alice", "/checkout/", hostile[:40], response.status_code))
    logged = caplog.text
    assert problems == []
    assert posted >= 300, posted
    assert "4242 4242 4242 4242" not in logged and "4242424242424242" not in logged
