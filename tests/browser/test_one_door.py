"""The one door, as a customer meets it in a real browser (#14): a contact-details save changes
no choice she did not touch, and a renewal shows its price and waits for her confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.inforce import in_force
from keepfaith.store.models import Renewal, RenewalCharge
from keepfaith.vault.gateway import payment_processor, payment_processor_reset
from tests.comms.conftest import said_yes_to_opt_out_mail
from tests.conftest import PASSWORD

NEWS = "marketing.communications.email"
NEWSLETTER = "marketing.communications.email.newsletter"


def log_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/account/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/account/login/" not in page.url


@pytest.mark.clause("QS-4")
@pytest.mark.clause("BE-9")
def test_saving_contact_details_keeps_every_choice_as_it_was(page, live_server, transactional_db):
    carol = User.objects.create_user("carol@example.com", PASSWORD, full_name="Carol C")
    log_in(page, live_server, carol.email)
    page.goto(f"{live_server.url}/account/preferences/")
    news_row = page.locator("tr[data-kind='promotions']")
    # never asked: in Denmark the box starts empty and the news is not sent (a yes first)
    assert news_row.locator("input[type=checkbox]").is_checked() is False
    said_yes_to_opt_out_mail(carol)  # as she would tick both boxes at sign-up
    page.goto(f"{live_server.url}/account/preferences/")
    assert news_row.locator("input[type=checkbox]").is_checked() is True
    page.goto(f"{live_server.url}/account/contact/")
    box = page.locator(f"input[type=checkbox][name='choice.{NEWS}']")
    assert box.is_checked() is True  # the form shows the same state as the preferences page
    page.fill("input[name=phone]", "+45 7000 1234")
    page.click("#contact-form button[type=submit]")
    page.wait_for_url("**/account/contact/")
    carol.refresh_from_db()
    assert carol.phone == "+45 7000 1234"
    events = ConsentEvent.objects.filter(subject=carol.customer_number).exclude(source="signup")
    assert [e.event for e in events] == ["notice-acknowledged"]  # no choice she did not make
    said = {k: v.status.value for k, v in current_choices(subject=carol.subject_ref).items()}
    assert said == {NEWS: "given", NEWSLETTER: "given"}
    page.goto(f"{live_server.url}/account/preferences/")
    assert news_row.locator("input[type=checkbox]").is_checked() is True
    # unticking one box changes that one choice, nothing else
    page.goto(f"{live_server.url}/account/contact/")
    page.locator(f"input[type=checkbox][name='choice.{NEWSLETTER}']").uncheck()
    page.click("#contact-form button[type=submit]")
    page.wait_for_url("**/account/contact/")
    choices = current_choices(subject=carol.subject_ref)
    assert {key: state.status.value for key, state in choices.items()} == {
        NEWS: "given",
        NEWSLETTER: "opted-out",
    }


@pytest.mark.clause("SITE-2")
@pytest.mark.clause("QS-5")
def test_a_renewal_shows_the_price_and_waits_for_the_confirmation(
    page, live_server, transactional_db, settings, tmp_path
):
    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    payment_processor_reset()
    alice = User.objects.create_user("alice@example.com", PASSWORD, full_name="Alice")
    log_in(page, live_server, alice.email)
    page.goto(f"{live_server.url}/shop/qualityssl-mobile/")
    page.click("text=Add to cart")
    page.wait_for_url("**/cart/")
    page.click("text=Check out")
    assert page.input_value("input[name=billing_name]") == "Alice"  # from the account
    page.fill("textarea[name=billing_address]", "Nellikevej 1, 2625 Vallensbaek")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=expiry_month]", "12")
    page.fill("input[name=expiry_year]", str(dt.date.today().year + 2))
    page.fill("input[name=security_code]", "123")
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/orders/O-*/thanks/")
    page.click("text=Go to your order")
    page.wait_for_url("**/account/orders/O-*/")
    assert page.locator("text=Renew…").count() == 0  # a year early: not offered
    renewal = Renewal.objects.get()
    soon = timezone.localdate() + dt.timedelta(days=20)
    Renewal.objects.filter(pk=renewal.pk).update(due=soon)
    page.reload()
    page.click("text=Renew…")
    quote = page.locator("#renewal-quote")
    total = quote.locator("[data-total]").inner_text()
    assert total.startswith("EUR ") and quote.locator("[data-vat]").inner_text()
    page.click("#renewal-form button[type=submit]")  # without ticking: the browser asks
    assert RenewalCharge.objects.count() == 0
    page.check("input[name=confirm]")
    page.click("#renewal-form button[type=submit]")
    page.wait_for_url("**/account/orders/O-*/")
    assert "renewal is paid" in page.locator(".messages").inner_text()
    charge = RenewalCharge.objects.get()
    assert charge.period_start == soon
    renewal.refresh_from_db()
    assert renewal.due == charge.period_end
    ledger = payment_processor(policy=in_force().policy).ledger  # type: ignore[attr-defined]
    assert len(ledger) == 2
    page.go_back()  # the confirmation page again: a second submit pays nothing more
    page.reload()
    assert "Renewal opens on" in page.content() or page.locator("#renewal-form").count() == 0
    assert RenewalCharge.objects.count() == 1
