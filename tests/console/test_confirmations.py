"""Actions that cannot be taken back ask for a confirmation the server checks (found by a
browser walk: each ran on one click): a partner release, billing's refund answers, closing a
support ticket. Without the box nothing is done and the page says why."""

from __future__ import annotations

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget
from tests.conftest import make_staff, verified_client


@pytest.fixture
def payments(settings, tmp_path):
    """A private key ring and an empty in-memory processor (as the store's tests have)."""
    from keepfaith.vault.gateway import payment_processor_reset
    from tests.store.conftest import QUALITYSSL

    settings.VAULT_KEYRING_PATH = tmp_path / "vault" / "keyring.json"
    settings.POLICY_PATH = QUALITYSSL
    payment_processor_reset()
    yield
    payment_processor_reset()


RELEASE = {"partner": "market-survey", "first_month": "2026-10", "last_month": "2026-10",
           "file_format": "csv"}  # fmt: skip
CONFIRMED = {**RELEASE, "confirmed": "market-survey:2026-10:2026-10"}


@pytest.mark.clause("BE-6")
def test_a_partner_release_is_described_first_and_goes_only_once_confirmed(pat, published):
    client = verified_client(pat)
    first = client.post("/console/sharing/", RELEASE)
    page = first.content.decode()
    assert first.status_code == 200
    assert not PartnerRelease.objects.exists()
    confirm = page[page.index('id="release-confirm"') :]
    assert "Certificate market survey receives" in confirm and "2026-10" in confirm
    assert 'name="confirm"' in confirm and "Nothing has been released yet." in confirm
    assert "data-confirm=" in page
    unticked = client.post("/console/sharing/", CONFIRMED)
    assert unticked.status_code == 400
    assert "Nothing was released: tick the box" in unticked.content.decode()
    assert not PartnerRelease.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="sharing.release").exists()
    # the boxes were ticked for another period: shown again for this one, nothing released
    other = client.post("/console/sharing/", {**CONFIRMED, "first_month": "2026-09",
                                              "confirm": "on"})  # fmt: skip
    assert other.status_code == 400 and not PartnerRelease.objects.exists()
    done = client.post("/console/sharing/", {**CONFIRMED, "confirm": "on"}, follow=True)
    said = done.content.decode()
    assert PartnerRelease.objects.count() == 1
    assert "Released to Certificate market survey: 2026-10 (" in said
    assert "/console/sharing/" in said and "Download the file" in said


@pytest.mark.clause("BE-6")
def test_releasing_a_period_again_warns_with_the_budget_and_needs_its_own_box(pat, published):
    client = verified_client(pat)
    client.post("/console/sharing/", {**CONFIRMED, "confirm": "on"})
    assert PartnerRelease.objects.count() == 1
    spent = PrivacyBudget.objects.get(partner="market-survey").epsilon_spent
    again = client.post("/console/sharing/", RELEASE).content.decode()
    warning = again[again.index('id="release-again"') :]
    warning = warning[: warning.index("</div>")]
    assert "Certificate market survey already received 2026-10" in warning
    assert f"2026-10: {spent} spent, {spent + 1.0} after this release" in warning
    assert 'name="confirm_again"' in again
    refused = client.post("/console/sharing/", {**CONFIRMED, "confirm": "on"})
    assert refused.status_code == 400
    assert "Tick the second box to release it again." in refused.content.decode()
    assert PartnerRelease.objects.count() == 1
    client.post("/console/sharing/", {**CONFIRMED, "confirm": "on", "confirm_again": "on"})
    assert PartnerRelease.objects.count() == 2


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_refund_answer_goes_only_with_the_box_naming_customer_and_amount(
    alice, monkeypatch, payments
):
    from tests.store.test_checkout_refund import processor
    from tests.store.test_payments_without_order import failed_refund, outcomes

    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    page = bill.get("/console/orders/").content.decode()
    cell = page[page.index(f'id="refund-form-{reference}"') :]
    cell = cell[: cell.index("</td>")]
    assert cell.count('name="confirm"') == 2 and cell.count("data-confirm=") == 2
    assert f"goes back to customer {alice.customer_number} through" in cell
    assert "EUR" in cell  # the amount
    url = f"/console/payments/{reference}/refund/"
    for decision in ("retry", "by_hand"):
        answer = bill.post(url, {"decision": decision, "refund_reference": "re_1"}, follow=True)
        assert "Nothing was done: tick the box" in answer.content.decode()
    assert not processor().refund_ledger
    assert outcomes(reference)[-1][0] == "failed"
    done = bill.post(url, {"decision": "retry", "confirm": "yes"}, follow=True)
    assert "was refunded" in done.content.decode()
    assert len(processor().refund_ledger) == 1


@pytest.mark.clause("SITE-2")
@pytest.mark.django_db(transaction=True)
def test_a_refused_refund_reference_stays_in_its_field_with_the_error_beside_it(
    alice, monkeypatch, payments
):
    """The reference typed was lost: the answer redirected to an empty form."""
    from tests.store.test_payments_without_order import failed_refund

    reference = failed_refund(alice, monkeypatch)
    bill = verified_client(make_staff("bill@staff.example", "billing"))
    url = f"/console/payments/{reference}/refund/"
    answer = bill.post(
        url, {"decision": "by_hand", "refund_reference": "re_\u202e42", "confirm": "yes"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/console/orders/#refund-form-{reference}"
    page = bill.get(answer["Location"]).content.decode()
    cell = page[page.index(f'id="refund-form-{reference}"') :]
    cell = cell[: cell.index("</td>")]
    field = cell[cell.index('name="refund_reference"') :]
    assert 'value="re_42"' in field[: field.index(">")]  # as typed, printable only
    error = cell[cell.index('id="refund-error-1"') :]
    assert "letters, digits and punctuation" in error[: error.index("</p>")]
    again = bill.get("/console/orders/").content.decode()  # shown once: a reload is clean
    assert 'id="refund-error-1"' not in again
    assert bill.get(url).status_code == 302  # the form's address opened: the orders page


@pytest.mark.clause("BE-3")
def test_a_ticket_is_closed_only_with_the_box_ticked(alice, bob, published):
    from tests.console.factories import ticket_for

    ticket = ticket_for(alice)
    client = verified_client(bob)
    page = client.get(f"/console/support/{ticket.reference}/").content.decode()
    form = page[page.index('id="close-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="confirm"' in form and "data-confirm=" in form
    assert f"conversation with customer {alice.customer_number}" in form
    refused = client.post(f"/console/support/{ticket.reference}/close/", follow=True)
    assert "The ticket is still open: tick the box" in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.status != "closed" and ticket.expires_at is None
    client.post(f"/console/support/{ticket.reference}/close/", {"confirm": "yes"})
    ticket.refresh_from_db()
    assert ticket.status == "closed"
