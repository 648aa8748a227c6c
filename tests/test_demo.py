from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from keepfaith.accounts.models import User


@pytest.fixture(autouse=True)
def _weblog_in_tmp(settings, tmp_path):
    """The demo writes its sample access log under WEBLOG_DIR: keep it out of var/."""
    settings.WEBLOG_DIR = tmp_path / "weblog"


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
