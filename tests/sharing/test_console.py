"""The partner-releases console page (BE-6): privacy officer and administrator only; a
release made there is recorded; the download is audited and checked against its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.conf import settings

from keepfaith.audit.models import AuditEntry
from keepfaith.sharing.models import PartnerRelease
from tests.conftest import make_staff, verified_client

pytestmark = [pytest.mark.clause("BE-6"), pytest.mark.django_db]


@pytest.mark.parametrize(
    ("role", "status"),
    [("privacy officer", 200), ("administrator", 200), ("marketing", 403), ("support", 403),
     ("billing", 403)],
)  # fmt: skip
def test_only_the_privacy_officer_and_administrators_open_the_page(published, role, status):
    user = make_staff(f"{role.replace(' ', '')}@staff.example", role)
    response = verified_client(user).get("/console/sharing/")
    assert response.status_code == status
    if status == 200:
        assert b"Certificate market survey" in response.content
        assert b"epsilon 1.0 per release" in response.content


def test_a_release_from_the_page_is_listed_and_downloaded(published, pat):
    client = verified_client(pat)
    response = client.post(
        "/console/sharing/",
        {"partner": "affiliates", "first_month": "2026-10", "last_month": "2026-11",
         "file_format": "json", "confirmed": "affiliates:2026-10:2026-11", "confirm": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    row = PartnerRelease.objects.get()
    assert (row.period_start, row.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    page = client.get("/console/sharing/")
    assert row.sha256[:12].encode() in page.content
    said = page.content.decode()  # names, not the policy's keys
    assert "visitors per country, browsers used and customers per product and country" in said
    assert "orders_by_product_country" not in said and "<td>affiliates</td>" not in said
    assert "Released to Reseller and affiliate partners: 2026-10 \N{EN DASH} 2026-11 " in said
    assert row.file_name not in said  # partner, period and a link, not the file's path
    assert f'<a href="/console/sharing/{row.pk}/download/">Download the file</a>' in said
    download = client.get(f"/console/sharing/{row.pk}/download/")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == row.sha256
    entry = AuditEntry.objects.get(action="sharing.download")
    assert (entry.actor, entry.detail["release"]) == ("pat@staff.example", row.pk)


def test_a_changed_file_is_not_handed_out(published, pat):
    client = verified_client(pat)
    client.post("/console/sharing/", {"partner": "affiliates", "first_month": "2026-11",
                                      "last_month": "2026-11", "file_format": "csv",
                                      "confirmed": "affiliates:2026-11:2026-11",
                                      "confirm": "on"})  # fmt: skip
    row = PartnerRelease.objects.get()
    path = Path(settings.SHARING_DIR) / row.file_name
    path.write_text(path.read_text() + "countries,visitor_days,registry_country,IS,,,1,no\n")
    response = client.get(f"/console/sharing/{row.pk}/download/")
    assert response.status_code == 403
    assert b"no longer matches its recorded SHA-256" in response.content
    [refused] = AuditEntry.objects.filter(action="sharing.download")  # as the page says
    assert refused.outcome == "refused" and "SHA-256" in refused.detail["reason"]
    assert client.get("/console/sharing/9999/download/").status_code == 404


def test_a_refusal_is_shown_and_nothing_is_released(published, pat):
    client = verified_client(pat)
    response = client.post(
        "/console/sharing/",
        {"partner": "affiliates", "first_month": "2026-11", "last_month": "2026-10",
         "file_format": "csv"},
        follow=True,
    )  # fmt: skip
    assert b"The last month is before the first month." in response.content
    assert response.status_code == 400
    assert PartnerRelease.objects.exists() is False
    form = {"partner": "affiliates", "first_month": "2026-13", "last_month": "2026-11"}
    bad = client.post("/console/sharing/", {**form, "file_format": "csv"})
    assert bad.status_code == 400
    assert b"Give a month as YYYY-MM." in bad.content
