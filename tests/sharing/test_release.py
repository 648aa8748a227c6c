"""Releases to partners through the service (BE-6): only what the policy names, asked of
the gate, small figures withheld, every release recorded and audited with its file's hash."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.conf import settings

from keepfaith.audit.models import AuditEntry
from keepfaith.inforce import in_force
from keepfaith.sharing.models import PartnerRelease
from keepfaith.sharing.selectors import address_country
from keepfaith.sharing.services import (
    ReleaseRefused,
    ReleaseRequest,
    release_create,
    sharing_where,
)
from tests.sharing.conftest import buyers, ingest_month

pytestmark = [pytest.mark.clause("BE-6"), pytest.mark.django_db]

NOV = dt.date(2026, 11, 1)
NOV_END = dt.date(2026, 11, 30)
PAID = dt.datetime(2026, 11, 12, 10, tzinfo=dt.UTC)


def release(actor, partner="affiliates", start=NOV, end=NOV_END, fmt="csv", aggregates=()):
    now = in_force()
    return release_create(
        request=ReleaseRequest(partner, start, end, fmt, tuple(aggregates)),
        policy=now.policy,
        gate=now.gate(actor=actor),
        version=now.label,
        actor=actor,
        where=sharing_where(policy=now.policy),
    )


def file_of(row: PartnerRelease) -> Path:
    return Path(settings.SHARING_DIR) / row.file_name


def rows_of(row: PartnerRelease) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file_of(row).read_text())))


def test_a_month_that_has_not_ended_is_refused_and_audited(published, pat_actor):
    running = dt.date.today().replace(day=1)
    end = (running + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    with pytest.raises(ReleaseRefused, match="is not over yet"):
        release(pat_actor, start=running, end=end)
    entry = AuditEntry.objects.get(action="sharing.release")
    assert entry.outcome == "refused"
    assert "not over yet" in entry.detail["reason"]
    assert not PartnerRelease.objects.exists()


def test_a_partner_the_policy_does_not_name_is_refused_by_the_gate(published, pat_actor):
    with pytest.raises(ReleaseRefused, match="recipient 'data-broker' is not declared"):
        release(pat_actor, partner="data-broker")
    entry = AuditEntry.objects.get(action="sharing.release")
    assert entry.outcome == "refused"
    assert "data-broker" in entry.detail["reason"]
    assert PartnerRelease.objects.exists() is False
    assert not (Path(settings.SHARING_DIR) / "data-broker").exists()


def test_an_aggregate_not_listed_for_the_partner_is_refused_by_the_gate(published, pat_actor):
    with pytest.raises(ReleaseRefused, match="does not receive the aggregate 'browsers'"):
        release(pat_actor, partner="market-survey", aggregates=["browsers"])
    with pytest.raises(ReleaseRefused, match="does not receive the aggregate 'revenue'"):
        release(pat_actor, aggregates=["revenue"])
    assert [e.outcome for e in AuditEntry.objects.filter(action="sharing.release")] == [
        "refused",
        "refused",
    ]


@pytest.mark.feature("sharing.releases-recorded")
def test_a_release_is_recorded_audited_and_hashed(published, pat_actor):
    buyers(count=12, address="Nellikevej 1, 2625 Vallensbaek", products=["dv"], paid=PAID)
    row = release(pat_actor, fmt="json")
    body = file_of(row).read_bytes()
    assert hashlib.sha256(body).hexdigest() == row.sha256
    assert row.size_bytes == len(body)
    assert (row.partner, row.period_start, row.period_end) == ("affiliates", NOV, NOV_END)
    assert row.aggregates == ["countries", "browsers", "orders_by_product_country"]
    assert row.policy_version == in_force().label
    assert row.actor == "pat@staff.example"
    entry = AuditEntry.objects.get(action="sharing.release", outcome="released")
    assert entry.detail["sha256"] == row.sha256
    assert entry.detail["partner"] == "affiliates"
    assert entry.detail["period"] == "2026-11-01..2026-11-30"
    assert entry.detail["policy_version"] == row.policy_version
    assert entry.use == "third_party_sharing"
    assert "BE-6" in entry.clauses
    assert file_of(row).parent == Path(settings.SHARING_DIR) / "affiliates"
    assert file_of(row).stat().st_mode & 0o077 == 0
    document = json.loads(body)
    orders = next(
        a for a in document["aggregates"] if a["aggregate"] == "orders_by_product_country"
    )
    assert {"product": "dv", "country": "DK", "count": 12, "withheld": False} in orders["figures"]


@pytest.mark.feature("sharing.aggregates-only")
def test_small_order_figures_are_withheld_and_no_customer_appears(published, pat_actor):
    denmark = buyers(count=25, address="Nørregade 1, 1165 København K", products=["dv"], paid=PAID)
    buyers(count=15, address="Hauptstr. 5, 10115 Berlin, Germany", products=["dv"], paid=PAID)
    sweden = buyers(count=3, address="Storgatan 1\n111 22 Stockholm\nSverige", products=["ev"],
                    paid=PAID)  # fmt: skip
    row = release(pat_actor, aggregates=["orders_by_product_country"])
    text = file_of(row).read_text()
    shown = {(r["value_1"], r["value_2"]): r for r in rows_of(row)}
    assert shown[("dv", "DK")]["count"] == "25"
    assert ("ev", "SE") not in shown or shown[("ev", "SE")]["withheld"] == "yes"
    for item in shown.values():  # every figure shown counts nobody or at least 10
        assert item["withheld"] == "yes" or int(item["count"]) in {0} | set(range(10, 100))
    # the 3 Swedish buyers are withheld, and so is enough else that no sum gives them away
    assert row.suppressed >= 4
    for person in denmark + sweden:
        for trace in (person.email, person.full_name, person.customer_number, "Storgatan"):
            assert not trace or trace not in text


def test_a_country_or_browser_seen_only_in_withheld_figures_is_not_named(published, pat_actor):
    ingest_month(first_day=NOV)
    row = release(pat_actor, aggregates=["countries", "browsers"])
    for item in rows_of(row):
        if item["value_1"] != "*":
            assert item["withheld"] == "no"
            assert int(item["count"]) >= 10
    totals = [r for r in rows_of(row) if r["value_1"] == "*"]
    assert len(totals) == 2
    assert row.suppressed >= 0


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("Storgatan 1, 111 22 Stockholm, Sverige", "SE"),
        ("10 Downing St\nLondon SW1A 2AA\nUnited Kingdom", "GB"),
        ("Hauptstr. 5\n10115 Berlin\nDE", "DE"),
        ("Nellikevej 1, 2625 Vallensbaek", "DK"),
        ("", "??"),
    ],
)
def test_the_country_of_a_customer_is_the_one_their_address_names(address, country):
    assert address_country(address=address, home="DK") == country


def test_a_browser_name_cannot_become_a_spreadsheet_formula():
    from keepfaith.sharing.exportfile import release_csv
    from keepfaith.sharing.figures import Figures

    figures = Figures("browsers", "visitor_days", ("browser_family",),
                      ((("=HYPERLINK(1)",), 40), ((None,), 40)))  # fmt: skip
    text = release_csv(figures=[figures]).decode()
    assert ",'=HYPERLINK(1)," in text


def test_the_budget_command_says_something_for_every_partner(published):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("share", "budget", stdout=out)
    said = out.getvalue()
    assert said.strip()  # never silent
    from keepfaith.inforce import in_force

    for partner in in_force().policy.recipients.partners:
        assert said.count(f"{partner.key}: ") == 1
    listed = StringIO()
    call_command("share", "list", stdout=listed)
    assert listed.getvalue().strip() == "no releases yet"


@pytest.mark.clause("RIGHTS-18")
@pytest.mark.clause("BE-6")
def test_a_restricted_customer_is_left_out_of_the_partners_counts(db):
    """A restriction (or an erasure that kept the orders) stops every use but those the
    policy permits; counting a customer for partners is not one of them."""
    from keepfaith.consent.services import consent_record
    from keepfaith.gate.choices import RESTRICTION_KEY
    from keepfaith.sharing.selectors import order_counts
    from tests.sharing.conftest import buyers

    paid = dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC)
    first, _second = buyers(count=2, address="Nørregade 1, Denmark", products=["dv"], paid=paid)
    day = paid.date()

    def people() -> int:
        return order_counts(start=day, end=day, home="DK").people[(None, None)]

    assert people() == 2
    consent_record(subject=first.subject_ref, key=RESTRICTION_KEY, event="opted-out",
                   source="rights")  # fmt: skip
    assert people() == 1
    consent_record(subject=first.subject_ref, key=RESTRICTION_KEY, event="withdrawn",
                   source="rights")  # fmt: skip
    assert people() == 2


def test_a_drop_folder_that_cannot_be_made_is_a_refusal_and_spends_nothing(
    published, pat_actor, settings, tmp_path
):
    blocker = tmp_path / "sharing-is-a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings.SHARING_DIR = blocker
    buyers(count=12, address="Nellikevej 1, 2625 Vallensbaek", products=["dv"], paid=PAID)
    with pytest.raises(
        ReleaseRefused, match=r"cannot make the drop folder .*KEEPFAITH_SHARING_DIR"
    ):
        release(pat_actor)
    assert not PartnerRelease.objects.exists()
    assert AuditEntry.objects.get(action="sharing.release").outcome == "refused"
    from keepfaith.sharing.models import PrivacyBudget

    assert all(row.epsilon_spent == 0 for row in PrivacyBudget.objects.all())
