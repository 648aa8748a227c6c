"""The monthly release job (BE-6): every partner gets last month once, through the gate."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from keepfaith.audit.models import AuditEntry
from keepfaith.jobs.services import JOBS, jobs_run_due
from keepfaith.sharing.models import PartnerRelease

pytestmark = [pytest.mark.clause("BE-6"), pytest.mark.django_db]

JOB = next(job for job in JOBS if job.name == "sharing-monthly")


def test_each_partner_gets_last_month_once(published):
    first = jobs_run_due(jobs=[JOB], now=dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC))
    assert first[0].outcome.startswith("2026-11-01..2026-11-30: affiliates: released")
    rows = PartnerRelease.objects.order_by("partner")
    assert [(r.partner, str(r.period_start), r.scheduled) for r in rows] == [
        ("affiliates", "2026-11-01", True),
        ("market-survey", "2026-11-01", True),
    ]
    assert {r.actor for r in rows} == {"jobs sharing-monthly"}
    again = jobs_run_due(jobs=[JOB], now=dt.datetime(2026, 12, 3, 4, tzinfo=dt.UTC))
    assert again[0].outcome == "2026-11-01..2026-11-30: nothing due"
    assert PartnerRelease.objects.count() == 2
    assert AuditEntry.objects.filter(action="sharing.release", outcome="released").count() == 2


def test_a_job_that_ran_today_is_not_run_again_today(published):
    jobs_run_due(jobs=[JOB], now=dt.datetime(2027, 1, 1, 1, tzinfo=dt.UTC))
    assert jobs_run_due(jobs=[JOB], now=dt.datetime(2027, 1, 1, 5, tzinfo=dt.UTC)) == []


def test_release_files_are_deleted_after_the_partner_s_two_years(published, settings, tmp_path):
    """The statement keeps the totals shared with partners 2 years: the files go then, the
    record of each release (what, to whom, when, its hash) stays."""
    settings.SHARING_DIR = tmp_path / "sharing"
    released = dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC)
    jobs_run_due(jobs=[JOB], now=released)
    files = [settings.SHARING_DIR / r.file_name for r in PartnerRelease.objects.all()]
    assert len(files) == 2 and all(f.is_file() for f in files)
    now = timezone.now()
    expire = next(job for job in JOBS if job.name == "sharing-expire")
    PartnerRelease.objects.update(created=now - dt.timedelta(days=729))
    assert expire.run(now).startswith("deleted 0 ")
    assert all(f.is_file() for f in files)
    PartnerRelease.objects.update(created=now - dt.timedelta(days=731))
    assert expire.run(now).startswith("deleted 2 ")
    assert not any(f.exists() for f in files)
    assert PartnerRelease.objects.count() == 2
    assert AuditEntry.objects.get(action="sharing.expire").detail == {"files": 2}
    out = StringIO()
    call_command("share", "verify", stdout=out)  # a file gone by the policy is not "missing"
    assert "(2 files deleted after its retention)" in out.getvalue()
    files[0].write_text("figures someone changed")  # one that is there but changed still is
    with pytest.raises(CommandError, match="1 release files missing or changed"):
        call_command("share", "verify", stdout=StringIO())
