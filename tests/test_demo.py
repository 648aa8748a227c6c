from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from keepfaith.accounts.models import User


@pytest.fixture(autouse=True)
def _weblog_in_tmp(settings, tmp_path):
    """The demo writes its sample access logs under WEBLOG_DIR and a partner release under
    SHARING_DIR: keep them out of var/."""
    settings.WEBLOG_DIR = tmp_path / "weblog"
    settings.SHARING_DIR = tmp_path / "sharing"


def test_demo_is_idempotent(db):
    call_command("demo", stdout=StringIO())
    counts = User.objects.count()
    out = StringIO()
    call_command("demo", stdout=out)
    assert User.objects.count() == counts == 7
    assert "pat@staff.example" in out.getvalue()
    assert User.objects.get(email="pat@staff.example").role_names == ["privacy officer"]


def test_demo_gives_alice_and_carol_contact_history_and_a_ticket(db):
    from keepfaith.accounts.models import ContactDetailsChange
    from keepfaith.support.models import SupportTicket

    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())
    for email in ("alice@example.com", "carol@example.com"):
        customer = User.objects.get(email=email)
        assert ContactDetailsChange.objects.filter(customer=customer).exists() is True
        assert SupportTicket.objects.filter(customer=customer).count() == 1


def test_demo_ingests_a_recent_access_log_once(db, settings):
    from keepfaith.weblog.conf import weblog_config
    from keepfaith.weblog.reports import report_span

    first = StringIO()
    call_command("demo", stdout=first)
    assert "(20000 new requests ingested)" in first.getvalue()
    again = StringIO()
    call_command("demo", stdout=again)
    assert "(0 new requests ingested)" in again.getvalue()
    assert "/console/analytics/diagnostics/ as ada" in again.getvalue()
    span = report_span(paths=weblog_config().paths)
    assert span is not None
    assert span[1] >= dt.date.today() - dt.timedelta(days=1)  # the default range shows it


@pytest.mark.clause("BE-6")
def test_demo_makes_one_partner_release_of_last_month(db, settings):

    from keepfaith.sharing.models import PartnerRelease
    from keepfaith.sharing.periods import last_full_month

    before = last_full_month(today=dt.date.today()).start
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())
    after = last_full_month(today=dt.date.today()).start  # another only if a month turned
    releases = list(PartnerRelease.objects.order_by("period_start"))
    months = [release.period_start for release in releases]
    # one release per month: the second run made none (two only if a month turned mid-test)
    assert months and len(set(months)) == len(months) and set(months) <= {before, after}
    for release in releases:
        assert release.partner == "affiliates"
        assert (Path(settings.SHARING_DIR) / release.file_name).is_file()
        assert release.suppressed > 0  # the sample has small countries and browsers


def test_every_page_the_demo_points_at_exists(db, settings):
    """The printed hints lead somewhere: each path resolves to a page of the site."""
    import re

    from django.urls import Resolver404, resolve

    from keepfaith.support.models import SupportTicket

    out = StringIO()
    call_command("demo", stdout=out)
    found = set(re.findall(r"(?<![\w./])(/[a-z][\w./-]*/)", out.getvalue()))
    # Files and folders it names (where the policy lies, where logs are written) are not pages;
    # the checkout and its var folder can be anywhere.
    folders = (str(settings.BASE_DIR) + "/", str(settings.VAR_DIR) + "/", "/tmp/", "/var/")
    paths = {p for p in found if not p.startswith(folders)}
    assert {"/support/", "/console/support/", "/account/orders/"} <= paths
    missing = []
    for path in sorted(paths):
        try:
            resolve(path)
        except Resolver404:
            missing.append(path)
    assert missing == []
    ticket = SupportTicket.objects.get(customer__email="alice@example.com")
    assert ticket.status == "waiting"  # bob asked her something


def test_a_policy_file_edited_under_its_label_keeps_the_demo_running(db, settings, tmp_path):
    """`make run` after editing the policy without a new `version:` label: the version in
    force stays, and the demo says why instead of stopping with a traceback."""
    from keepfaith.demo import demo_policy

    original = Path(settings.POLICY_PATH)
    edited = tmp_path / "policy.yaml"
    edited.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    settings.POLICY_PATH = edited
    assert demo_policy()[0].startswith("Policy in force: 2024.1 from ")
    edited.write_text(
        original.read_text(encoding="utf-8").replace("retention: 90d", "retention: 30d", 1),
        encoding="utf-8",
    )
    said = demo_policy()
    assert said[0].startswith("Policy in force: 2024.1, kept: "), said
    assert "give this policy a new version label" in said[0]
