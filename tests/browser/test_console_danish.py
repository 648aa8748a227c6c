"""Every console page a staff role opens, in a real browser, in Danish once the staff member
chose it (SITE-5): `<html lang="da">` and none of the site's own English words."""

from __future__ import annotations

import pytest

from keepfaith.accounts.roles import ROLES
from keepfaith.console.nav import SECTIONS
from keepfaith.support.models import SupportTicket
from tests.browser.test_console_areas import _publish, sign_in
from tests.comms.conftest import make_customer
from tests.conftest import make_staff
from tests.console.factories import order_with_renewal_charge
from tests.portal.test_danish_pages import ENGLISH_UI

pytestmark = [pytest.mark.clause("SITE-5")]


@pytest.mark.parametrize("role", ROLES)
def test_every_console_page_of_a_role_is_danish(page, live_server, transactional_db, role):
    _publish()
    alice = make_customer("alice@example.com", "Alice Andersen")
    order_with_renewal_charge(alice)
    SupportTicket.objects.create(  # the customer's own words, in Danish here
        customer=alice,
        customer_number=alice.customer_number or "",
        email=alice.email,
        name=alice.full_name,
        summary="Certifikatet er ikke betroet på Android",
        description="Kæden ser ud til at mangle et led.",
    )
    staff = make_staff(f"{role.replace(' ', '-')}@staff.example", role)
    staff.language = "da"
    staff.save()
    sign_in(page, live_server.url, staff.email, "/console/")
    links = page.locator("main a[href^='/console/']")
    opened = [links.nth(i).get_attribute("href") for i in range(links.count())]
    paths = ["/console/", "/console/preferences/", *dict.fromkeys(p for p in opened if p)]
    assert any(path != "/console/" and path.startswith(s.url) for path in paths for s in SECTIONS)
    problems = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        if page.get_attribute("html", "lang") != "da":
            problems.append(f"{path}: lang is {page.get_attribute('html', 'lang')!r}")
        english = sorted(set(ENGLISH_UI.findall(page.inner_text("body"))))
        if english:
            problems.append(f"{path}: English words {english}")
    assert problems == []
