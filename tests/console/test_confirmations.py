"""Actions that cannot be taken back ask for a confirmation the server checks (found by a
browser walk: each ran on one click): a partner release, billing's refund answers, closing a
support ticket. Without the box nothing is done and the page says why."""

from __future__ import annotations

import pytest

from keepfaith.audit.models import AuditEntry
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget
from tests.conftest import verified_client

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
