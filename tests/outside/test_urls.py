"""Every URL of the site (the resolver walked, so a new URL is included by itself) against
every persona: anonymous, the customers alice and carol, each staff role, staff who gave only
the password, staff without an authenticator (issue 15, "Done when").

Expected everywhere: no 500; nobody sees another customer's data unless a console page lets
their role read it. Console pages: visitors and customers are sent to the staff login, staff
without the second factor to it (or refused when they have no authenticator), and a verified
role opens exactly the pages its dashboard lists. Customer pages: staff get a 404 or a
redirect, never the page; a customer given the other customer's object ids gets 403/404/405.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.outside.conftest import persona_clients

pytestmark = [pytest.mark.outside, pytest.mark.clause("QS-3")]

ALLOWED = {200, 302, 400, 403, 404, 405}
CUSTOMERS = ("alice", "carol")
OPEN_CONSOLE = {"console:login", "console:verify", "console:logout"}
STAFF_WITHOUT_FACTOR = {"staff-unverified", "staff-no-factor"}
TOKENS = {"token": "bogus-token", "product_id": "qualityssl"}


def site_routes() -> list[tuple[str, list[str]]]:
    """Every named URL pattern of the site with its parameter names, all namespaces."""
    found: list[tuple[str, list[str]]] = []

    def walk(resolver: URLResolver, namespaces: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, namespaces + ((entry.namespace,) if entry.namespace else ()))
            elif isinstance(entry, URLPattern) and entry.name:
                name = ":".join((*namespaces, entry.name))
                found.append((name, sorted(entry.pattern.regex.groupindex)))

    walk(get_resolver(), ())
    return found


def url_for(name: str, params: list[str], values: dict[str, Any]) -> str:
    if name.startswith("portal:certificate"):  # its <number> is the certificate's
        values = {**values, "number": values["certificate"]}
    return reverse(name, kwargs={p: values[p] for p in params})


def owner_of(persona: str) -> str:
    """Whose objects a persona's requests name: a customer asks for the other's (IDOR)."""
    return {"alice": "carol", "carol": "alice"}.get(persona, "alice")


def leaked(body: str, persona: str, world: dict[str, Any]) -> list[str]:
    return [
        secret
        for customer in CUSTOMERS
        if customer != persona
        for secret in world[customer].secrets
        if secret in body
    ]


def _values(world: dict[str, Any], owner: str) -> dict[str, Any]:
    return {**world[owner].params, **world["console_params"], **TOKENS}


Walk = dict[tuple[str, str, str], tuple[str, Any]]


def walk_everything(world: dict[str, Any]) -> Walk:
    """(persona, route, method) -> (url, response), for every persona, route and GET/POST."""
    personas = persona_clients(world)
    results: Walk = {}
    for name, params in site_routes():
        for persona, make_client in personas.items():
            url = url_for(name, params, _values(world, owner_of(persona)))
            for method in ("get", "post"):
                response = getattr(make_client(), method)(url)
                results[(persona, name, method)] = (url, response)
    return results


def no_500_and_no_leak(walk: Walk, world: dict[str, Any]) -> list[Any]:
    found = []
    for (persona, name, method), (url, response) in walk.items():
        if response.status_code not in ALLOWED:
            found.append(("status", persona, method, url, response.status_code))
        verified = persona.startswith("staff-") and persona not in STAFF_WITHOUT_FACTOR
        # a console page shown (200, or 400 again with an error) is a read the gate allowed
        # and the audit log records
        shown = response.status_code in (200, 400)
        may_read = verified and name.startswith("console:") and shown
        body = response.content.decode(errors="replace")
        if not may_read and leaked(body, persona, world):
            found.append(("leak", persona, method, url, leaked(body, persona, world)))
    return found


def console_for_verified_staff_only(walk: Walk) -> list[Any]:
    found = []
    for (persona, name, method), (url, response) in walk.items():
        if not name.startswith("console:") or name in OPEN_CONSOLE or method != "get":
            continue
        status, where = response.status_code, response.get("Location", "")
        if persona in ("anonymous", *CUSTOMERS):
            ok = status == 302 and where.startswith("/console/login/")
        elif persona == "staff-unverified":
            ok = status == 302 and where.startswith("/console/verify/")
        elif persona == "staff-no-factor":
            ok = status == 403
        else:
            continue
        if not ok:
            found.append((persona, url, status, where))
    return found


def roles_open_what_their_dashboard_lists(walk: Walk) -> list[Any]:
    """A list page opens exactly when the dashboard lists it; a detail page never opens for a
    role whose dashboard does not list its list (it may refuse more: a ticket's computer
    configuration is for support only, BE-3)."""
    found = []
    for persona in {p for p, _, _ in walk if p.startswith("staff-")} - STAFF_WITHOUT_FACTOR:
        _, dashboard = walk[(persona, "console:dashboard", "get")]
        listed = set(re.findall(r'<li><a href="(/console/[^"]*)"', dashboard.content.decode()))
        for (who, name, method), (url, response) in walk.items():
            skip = OPEN_CONSOLE | {
                "console:dashboard",
                "console:mail_queue_resolve",
                "console:preferences",  # every staff member's own settings
            }
            if who != persona or method != "get" or not name.startswith("console:") or name in skip:
                continue
            # a detail page (or an export): its list
            # ids: a number, an order (O-...), customer (KF-...) or request (DSR-...) number,
            # always upper case, or a ticket's or a question's reference (16 hex digits)
            list_url = re.sub(
                r"(?:(?:\d+|[A-Z]+-[A-Z0-9-]+|[0-9a-f]{16})/(?:[a-z-]+/)?|export\.csv)$", "", url
            )
            opened = response.status_code == 200
            # a detail page belongs to the list it sits under (support/requests/1/: support/)
            under_listed = any(url.startswith(page) and page != url for page in listed)
            wrong = (
                opened is not (list_url in listed)
                if list_url == url
                else opened and not under_listed
            )
            if wrong:
                found.append((persona, url, response.status_code))
    return found


def customer_only(walk: Walk) -> set[str]:
    """Portal pages that send a visitor to the customer login."""
    return {
        name
        for (persona, name, method), (_, response) in walk.items()
        if persona == "anonymous"
        and method == "get"
        and name.startswith("portal:")
        and response.status_code == 302
        and response["Location"].startswith("/account/login/")
    }


def customer_pages_not_for_staff(walk: Walk) -> set[tuple[str, str]]:
    pages = customer_only(walk)
    return {
        ("customer page opened by staff", name)
        for (persona, name, method), (_, response) in walk.items()
        if persona.startswith("staff-") and name in pages and method == "get"
        and response.status_code not in (302, 404, 405)
    }  # fmt: skip


def no_customer_opens_the_other_s_objects(walk: Walk, world: dict[str, Any]) -> list[Any]:
    """Every customer page with an object id in its path, with the other customer's ids."""
    found: list[Any] = []
    checked = 0
    for (persona, name, method), (url, response) in walk.items():
        if (
            persona in CUSTOMERS
            and name in customer_only(walk)
            and any(str(v) in url for v in world[owner_of(persona)].params.values())
        ):
            checked += 1
            if response.status_code not in (403, 404, 405):
                found.append((persona, method, url, response.status_code))
    return found if checked >= 10 else [("too few object pages walked", checked)]


def test_every_url_against_every_persona(world):
    walk = walk_everything(world)
    assert {"portal:account", "portal:contact", "portal:orders", "portal:consent"} <= (
        customer_only(walk)
    )
    assert no_500_and_no_leak(walk, world) == []
    assert console_for_verified_staff_only(walk) == []
    assert roles_open_what_their_dashboard_lists(walk) == []
    assert no_customer_opens_the_other_s_objects(walk, world) == []
    assert customer_pages_not_for_staff(walk) == set()


def test_with_their_own_ids_the_same_pages_open(world):
    """The ids the walk uses are real: the owner opens each of those pages."""
    client = Client()
    client.force_login(world["alice"].customer)
    for name, params in site_routes():
        if not params or not name.startswith("portal:") or "token" in params:
            continue
        url = url_for(name, params, {**world["alice"].params, **TOKENS})
        status = client.get(url).status_code
        assert status in (200, 405), (url, status)


def test_the_walk_covers_every_url_of_the_site():
    names = {name for name, _ in site_routes()}
    assert {"portal:contact", "portal:order", "console:customers", "console:mail_queue_resolve",
            "unsubscribe", "privacy_json", "portal:email_confirm"} <= names  # fmt: skip
    assert len(names) >= 50
