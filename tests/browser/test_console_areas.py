"""Each console area in a real browser, as the role that uses it, at desktop (1280) and phone
(390) widths: pages fit the screen (tables scroll inside their frame), lists lead somewhere,
and the campaign path goes from draft to "sent" (QS-3, BE-8, BE-9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.totp import current_code
from keepfaith.comms.delivery import deliver_pending
from tests.browser.conftest import full_page_screenshot
from tests.comms.conftest import make_customer
from tests.conftest import PASSWORD, make_staff
from tests.console.factories import order_with_renewal_charge, ticket_for

pytestmark = [pytest.mark.clause("QS-3")]
SHOTS = os.environ.get("KEEPFAITH_SCREENSHOTS", "")


def sign_in(page, base: str, email: str, target: str) -> None:
    page.goto(f"{base}{target}")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("input[name=token]", current_code(TOTPDevice.objects.get(user__email=email)))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def go(page, selector: str) -> None:
    """Click what opens another page, and wait until that page has loaded: a bare click
    returns once the navigation has started, and counting elements then counts the old
    page's, or none at all (on a loaded machine)."""
    with page.expect_navigation():
        page.click(selector)


def draft_as_mia(page, base: str, subject: str, text: str) -> None:
    """Sign in as mia (marketing) and save a newsletter draft; its page is shown."""
    mia = make_staff("mia@staff.example", "marketing")
    sign_in(page, base, mia.email, "/console/campaigns/")
    page.select_option("select[name=kind]", "newsletter")
    page.fill("input[name=subject]", subject)
    page.fill("textarea[name=text]", text)
    go(page, "text=Save as draft")


def fits(page, name: str) -> None:
    """No sideways scrolling of the page itself; a screenshot when asked for."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        full_page_screenshot(page, f"{SHOTS}/{name}-{width}.png")
    assert scroll <= width + 1, f"{name} is {scroll}px wide at {width}px"


@pytest.mark.parametrize("width", [1280, 390])
def test_billing_goes_from_search_to_customer_to_order(page, live_server, transactional_db, width):
    _publish()
    page.set_viewport_size({"width": width, "height": 900})
    alice = make_customer("alice@example.com", "Alice Andersen")
    alice.postal_address = "Nørregade 1, 1165 København K"
    alice.save()
    order = order_with_renewal_charge(alice)
    bill = make_staff("bill@staff.example", "billing")
    sign_in(page, live_server.url, bill.email, "/console/customers/")
    page.fill("input[name=q]", alice.customer_number)
    go(page, "main form button[type=submit]")
    fits(page, "customers")
    go(page, f"a[href='/console/customers/{alice.customer_number}/']")
    assert "Nørregade 1" in page.locator("#contact + dl").inner_text()
    fits(page, "customer")
    go(page, f"a[href='/console/orders/{order.number}/']")
    assert page.locator("tr.renewal-charge").count() == 1
    total = page.locator("tfoot td.num strong").inner_text()
    assert total == "DKK 15,431.25"
    box = page.locator("tfoot td.num strong").bounding_box()
    assert box is not None and box["height"] < 30  # one line: the amount does not wrap
    fits(page, "order")


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_previews_tests_confirms_and_sees_sent(
    page, live_server, transactional_db, width
):
    _publish()
    page.set_viewport_size({"width": width, "height": 900})
    make_customer("gus@example.com")
    make_customer("hal@example.com")
    draft_as_mia(page, live_server.url, "Autumn news", "Hello from the shop")
    fits(page, "campaign")
    go(page, "text=Preview")
    assert page.locator("#preview-en").count() == 1 and page.locator("#preview-da").count() == 1
    fits(page, "campaign-preview")
    page.go_back()
    go(page, "text=Send a test to me")
    assert "A test is on its way" in page.content()
    go(page, "#send-everyone")
    assert "goes to 2 customers now" in page.locator("#audience-size").inner_text()
    fits(page, "campaign-confirm")
    go(page, "#confirm-send")
    assert page.locator("#campaign-status").inner_text() == "sending"
    deliver_pending()
    page.reload()
    assert page.locator("#campaign-status").inner_text() == "sent"
    assert page.locator("#campaign-sent").inner_text() == "2"


@pytest.mark.parametrize("width", [1280, 390])
def test_privacy_officer_filters_and_verifies_the_audit_log(
    page, live_server, transactional_db, width
):
    _publish()
    page.set_viewport_size({"width": width, "height": 900})
    alice = make_customer("alice@example.com")
    ticket_for(alice)
    bob = make_staff("bob@staff.example", "support")
    pat = make_staff("pat@staff.example", "privacy officer")
    sign_in(page, live_server.url, bob.email, f"/console/customers/{alice.customer_number}/")
    assert "Certificate not trusted on Android" in page.content()
    page.context.clear_cookies()
    sign_in(page, live_server.url, pat.email, "/console/audit/")
    page.fill("input[name=subject]", alice.customer_number)
    go(page, "text=Filter")
    assert page.locator("a[title='console.customer.show']").count() >= 1
    go(page, "text=Verify every chain now")
    assert page.locator("#verdicts .ok").count() >= 2
    fits(page, "audit")
    page.goto(f"{live_server.url}/console/campaigns/")
    assert "It needs the role" in page.content()  # a styled 403 in the console's chrome
    assert page.locator("header.top nav.console-sections").count() == 1
    fits(page, "refused")


def _publish() -> None:
    from keepfaith.versions.services import policy_publish_file

    path = Path(__file__).resolve().parents[2] / "examples" / "qualityssl" / "policy.yaml"
    policy_publish_file(path=path)


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_reads_the_analytics_dashboard(
    page, live_server, transactional_db, settings, tmp_path, width
):
    import datetime as dt

    from django.utils import timezone

    from keepfaith.weblog.conf import weblog_config
    from keepfaith.weblog.formats import log_format
    from keepfaith.weblog.ingest import logs_ingest
    from keepfaith.weblog.sample import write_sample_log

    _publish()
    settings.WEBLOG_DIR = tmp_path / "weblog"
    now = timezone.now()
    log = write_sample_log(
        path=tmp_path / "access.log", lines=1500, seed=5, start=now - dt.timedelta(days=7, hours=1)
    )
    logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=now)
    page.set_viewport_size({"width": width, "height": 900})
    mia = make_staff("mia@staff.example", "marketing")
    sign_in(page, live_server.url, mia.email, "/console/analytics/")
    assert page.locator("#headline > div").count() == 6
    assert page.locator("#trends").count() == 1 and page.locator("#countries").count() == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, f"the first tab is {height}px tall"
    fits(page, "analytics")
    go(page, "nav.tabs >> text=Countries")
    assert page.locator("#countries svg.chart").count() == 1
    assert "??" not in page.locator("#countries").inner_text()
    fits(page, "analytics-countries")


def test_deleting_a_draft_asks_first_and_the_button_can_be_read(
    page, live_server, transactional_db
):
    """The question comes from a script file the CSP allows (an inline ``onsubmit`` was
    blocked, so the draft went without asking); the button's words are white on red."""
    from keepfaith.comms.models import Campaign

    _publish()
    draft_as_mia(page, live_server.url, "Draft to delete", "Hello")
    button = page.locator("button.danger", has_text="Delete the draft")
    colours = button.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert colours[0] != colours[1], colours
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    button.click()
    page.wait_for_timeout(300)
    assert asked == ["Delete this draft?"]
    assert Campaign.objects.filter(subject="Draft to delete").exists()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        button.click()
    assert not Campaign.objects.filter(subject="Draft to delete").exists()


@pytest.mark.clause("RIGHTS-16")
@pytest.mark.parametrize("width", [1280, 390])
def test_the_correction_boxes_sit_beside_their_labels(page, live_server, transactional_db, width):
    """A box stretched across the form (the text inputs' width) left its label far away."""
    from keepfaith.inforce import in_force
    from keepfaith.rights.services import request_open_signed_in

    _publish()
    page.set_viewport_size({"width": width, "height": 900})
    alice = make_customer("alice@example.com")
    asked, _ = request_open_signed_in(
        customer=alice,
        kind="rectification",
        details="Please remove my phone number",
        language="en",
        policy=in_force().policy,
    )
    pat = make_staff("pat@staff.example", "privacy officer")
    sign_in(page, live_server.url, pat.email, f"/console/rights/{asked.reference}/")
    box = page.locator('input[name="correct-remove"][value="phone"]')
    box_at = box.bounding_box()
    assert box_at is not None and box_at["width"] < 40
    # where the label's words start, and how many lines they take
    words = box.evaluate(
        """box => { const range = document.createRange();
                    range.selectNodeContents(box.parentElement);
                    range.setStartAfter(box);
                    const rects = [...range.getClientRects()].filter(r => r.width > 0);
                    const tops = new Set(rects.map(r => Math.round(r.y)));
                    return {x: rects[0].x, lines: tops.size}; }"""
    )
    gap = words["x"] - (box_at["x"] + box_at["width"])
    assert 0 <= gap < 24, f"the label starts {gap}px after its box"
    assert words["lines"] == 1
    fits(page, "correction")


@pytest.mark.clause("RIGHTS-17")
def test_an_erasure_waits_for_the_box_and_the_question(page, live_server, transactional_db):
    """ "Carry out the erasure" erased on one click: the box naming the customer must be
    ticked (the browser holds the form, the server checks it too), then the page asks."""
    from keepfaith.inforce import in_force
    from keepfaith.rights.models import RightsRequest
    from keepfaith.rights.services import request_open_signed_in

    _publish()
    alice = make_customer("alice@example.com")
    asked, _ = request_open_signed_in(
        customer=alice, kind="erasure", details="", language="en", policy=in_force().policy
    )
    pat = make_staff("pat@staff.example", "privacy officer")
    sign_in(page, live_server.url, pat.email, f"/console/rights/{asked.reference}/")
    button = page.locator("#complete-form button[type=submit]")
    questions: list[str] = []

    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    button.click()
    page.wait_for_timeout(300)
    assert questions == []  # the box is required: the browser did not send the form
    box = page.locator("#complete-confirm input[name=confirm]")
    box_at = box.bounding_box()
    assert box_at is not None and box_at["width"] < 40
    box.check()
    button.click()
    page.wait_for_timeout(300)
    assert questions == [f"Erase customer {alice.customer_number} for good? This cannot be undone."]
    assert RightsRequest.objects.get(pk=asked.pk).is_open
    page.remove_listener("dialog", dismiss)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        button.click()
    assert not RightsRequest.objects.get(pk=asked.pk).is_open
