"""The retention jobs runner: each job runs when due, not before, also across restarts."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keepfaith.audit.models import AuditEntry
from keepfaith.jobs import services
from keepfaith.jobs.models import JobRun
from keepfaith.weblog.conf import weblog_config
from keepfaith.weblog.formats import log_format
from keepfaith.weblog.ingest import logs_ingest
from keepfaith.weblog.sample import write_sample_log
from keepfaith.weblog.store import diagnostics_hits, diagnostics_oldest

T0 = dt.datetime(2026, 5, 4, 3, 0, tzinfo=dt.UTC)
SINCE, UNTIL = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """The runner's clock, set by the test."""
    now = {"at": T0}
    monkeypatch.setattr(services, "_now", lambda: now["at"])
    return now


def run_once() -> str:
    out = StringIO()
    call_command("jobs", "run", "--once", stdout=out)
    return out.getvalue()


@pytest.mark.clause("QS-6")
def test_a_job_runs_when_due_and_not_before(db, clock, settings, tmp_path):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    first = run_once()
    assert "logs-purge: purged 0 raw addresses" in first
    assert "support-purge: purged 0 information requests" in first
    clock["at"] = T0 + dt.timedelta(hours=23, minutes=59)
    early = [line for line in run_once().splitlines() if not line.startswith("campaigns:")]
    assert early == []  # a restarted runner does not run the daily jobs early
    clock["at"] = T0 + dt.timedelta(days=1)
    assert "logs-purge:" in run_once()
    assert JobRun.objects.get(name="logs-purge").last_run_at == T0 + dt.timedelta(days=1)
    daily = tuple(job for job in services.JOBS if job.period == services.DAY)
    assert services.jobs_next_due(jobs=daily) == T0 + dt.timedelta(days=2)


def test_a_failing_job_gives_its_turn_back_and_the_others_still_run(db, clock):
    def broken(now: dt.datetime) -> str:
        raise OSError("disk full")

    jobs = (
        services.Job("broken", services.DAY, "test", broken),
        services.Job("fine", services.DAY, "test", lambda now: "done"),
    )
    results = services.jobs_run_due(jobs=jobs)
    assert [(r.name, r.outcome, r.error) for r in results] == [
        ("broken", "", "OSError: disk full"),
        ("fine", "done", ""),
    ]
    row = JobRun.objects.get(name="broken")
    assert row.last_run_at is None and row.last_error == "OSError: disk full"
    assert [r.name for r in services.jobs_run_due(jobs=jobs)] == ["broken"]


@pytest.mark.clause("QS-6")
def test_the_purge_job_removes_raw_addresses_past_the_policy_retention(
    db, clock, settings, tmp_path
):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    settings.WEBLOG_RAW_IP_RETENTION_DAYS = 30  # the policy's 7d still applies
    log = write_sample_log(path=tmp_path / "access.log", lines=2000, seed=5, start=T0)
    logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=T0)
    paths = weblog_config().paths
    kept = len(diagnostics_hits(paths=paths, limit=10_000, since=SINCE, until=UNTIL))
    assert kept == 2000
    clock["at"] = T0 + dt.timedelta(days=10)  # the log covers T0 .. T0 + about 7 days
    out = run_once()
    left = diagnostics_hits(paths=paths, limit=10_000, since=SINCE, until=UNTIL)
    assert 0 < len(left) < kept
    assert f"logs-purge: purged {kept - len(left)} raw addresses" in out
    oldest = diagnostics_oldest(paths=paths)
    assert oldest is not None and oldest >= clock["at"] - dt.timedelta(days=7)
    entry = AuditEntry.objects.get(action="weblog.purge")
    assert entry.detail["raw_hits_removed"] == kept - len(left)
    assert entry.detail["retention_days"] == 7


@pytest.mark.clause("BE-5")
@pytest.mark.clause("BE-6")
def test_statistics_older_than_the_policy_s_two_years_are_deleted(
    db, published, settings, tmp_path
):
    """The statement keeps site statistics and partner totals 2 years (the policy's longest
    log_files use): the job deletes each older day's facts and statistics, and no other."""
    import duckdb

    settings.WEBLOG_DIR = tmp_path / "weblog"
    log = write_sample_log(path=tmp_path / "access.log", lines=3000, seed=5, start=T0)
    logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=T0)
    paths = weblog_config().paths

    def days(table: str) -> list[dt.date]:
        con = duckdb.connect(str(paths.analytics), read_only=True)
        try:
            rows = con.execute(f"SELECT DISTINCT day FROM {table} ORDER BY 1").fetchall()
            return [r[0] for r in rows]
        finally:
            con.close()

    before = days("traffic_daily")
    assert len(before) >= 7 and days("fact_files") == before
    parquet_before = sorted(paths.parquet.rglob("*.parquet"))
    later = dt.datetime.combine(before[3], dt.time(12), dt.UTC) + dt.timedelta(days=730)
    outcome = _job("logs-expire").run(later)
    assert outcome == "deleted the facts and statistics of 3 days older than 730 days"
    assert days("traffic_daily") == days("fact_files") == before[3:]
    assert days("dimension_counts")[0] == before[3]
    assert len(sorted(paths.parquet.rglob("*.parquet"))) < len(parquet_before)
    entry = AuditEntry.objects.get(action="weblog.expire")
    assert entry.detail["days"] == 3 and entry.use == "analytics.reporting"


def test_the_help_states_each_retention_rule():
    from keepfaith.jobs.management.commands.jobs import Command

    text = Command().help
    assert "log_files.raw_ip_retention" in text
    assert "support tickets" in text
    assert "keepfaith mail worker" in text


@pytest.mark.clause("QS-6")
def test_the_compaction_job_merges_a_days_parts_and_audits_the_rewrite(
    db, clock, settings, tmp_path
):
    settings.WEBLOG_DIR = tmp_path / "weblog"
    for seed in (5, 6):  # two files on the same days: two parts per day
        log = write_sample_log(path=tmp_path / f"{seed}.log", lines=400, seed=seed, start=T0)
        logs_ingest(config=weblog_config(), sources=[log], fmt=log_format(spec="combined"), now=T0)
    paths = weblog_config().paths
    before = len(list(paths.raw_hits.rglob("*.parquet")))
    clock["at"] = T0 + dt.timedelta(days=3)
    out = run_once()
    entry = AuditEntry.objects.get(action="weblog.compact")
    days = entry.detail["days_merged"]
    assert days > 0
    assert f"logs-compact: compacted the Parquet parts of {days} days" in out
    assert len(list(paths.raw_hits.rglob("*.parquet"))) < before
    assert entry.categories == ["user.device.ip_address"] and entry.outcome == "rewritten"


@pytest.mark.clause("QS-6")
def test_run_once_exits_non_zero_when_a_job_fails(db, clock, settings, tmp_path):
    """cron alerts on a non-zero exit: a failed retention job must not exit 0."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the web-log store should be", encoding="utf-8")
    settings.WEBLOG_DIR = blocker
    err = StringIO()
    with pytest.raises(CommandError, match=r"job\(s\) failed"):
        call_command("jobs", "run", "--once", stdout=StringIO(), stderr=err)
    assert "logs-purge: failed:" in err.getvalue()


def _job(name: str) -> services.Job:
    return next(job for job in services.JOBS if job.name == name)


@pytest.mark.clause("BE-9")
@pytest.mark.clause("RIGHTS-12")
def test_requests_and_received_mail_are_deleted_after_the_policy_s_year(db, published):
    """The statement says received messages and requests about one's data are kept a year
    (essential.legal_obligation: 1y): the job deletes them then. What still does something
    stays: a message waiting for staff or for a retry, an erasure's request whose kept data
    is still to be deleted (also when its day has passed: RIGHTS-17), a restriction's
    request while the restriction holds (RIGHTS-18)."""
    from keepfaith.comms.models import InboundMessage, OptOutQueueItem
    from keepfaith.rights.models import RightsRequest

    year_ago = T0 - dt.timedelta(days=366)

    def mail(status: str, *, decided: dt.datetime | None = None) -> InboundMessage:
        row = InboundMessage.objects.create(
            origin="smtp", raw=b"x", received_at=year_ago, status=status
        )
        if status == "queued":
            OptOutQueueItem.objects.create(
                message=row, reason="unclear", status="dismissed" if decided else "open",
                resolved_at=decided,
            )  # fmt: skip
        return row

    def request(
        ref: str, closed: dt.datetime | None, kind: str = "access", receipt: Any = None
    ) -> RightsRequest:
        return RightsRequest.objects.create(
            reference=ref, kind=kind, state="done" if closed else "open", channel="portal",
            received_at=T0 - dt.timedelta(days=800), due_at=T0, closed_at=closed,
            receipt=receipt or {},
        )  # fmt: skip

    opted_out, decided = mail("opted_out"), mail("queued", decided=year_ago)
    waiting, retry = mail("queued"), mail("failed")
    recent = mail("queued", decided=T0 - dt.timedelta(days=10))
    request("DSR-OLD", year_ago)
    request("DSR-NEW", T0 - dt.timedelta(days=10))
    request("DSR-OPEN", None)
    keeps = {"plan": [{"store": "orders", "erase": False, "until": "2031-12-31"}]}
    request("DSR-KEEPS", year_ago, kind="erasure", receipt=keeps)
    late = {"plan": [{"store": "orders", "erase": False, "until": "2025-12-31"}]}
    request("DSR-DAY-MISSED", year_ago, kind="erasure", receipt=late)  # the rights job was down
    done = {"plan": [{"store": "orders", "erase": False, "until": "2025-12-31"}],
            "expired": ["orders"]}  # fmt: skip
    request("DSR-KEPT-GONE", year_ago, kind="erasure", receipt=done)
    outcome = _job("requests-purge").run(T0)
    assert outcome == "deleted 2 received messages and 2 closed requests"
    left = set(InboundMessage.objects.values_list("pk", flat=True))
    assert left == {waiting.pk, retry.pk, recent.pk}
    assert not {opted_out.pk, decided.pk} & left
    assert set(OptOutQueueItem.objects.values_list("message_id", flat=True)) == {
        waiting.pk,
        recent.pk,
    }
    left_requests = set(RightsRequest.objects.values_list("reference", flat=True))
    assert left_requests == {"DSR-NEW", "DSR-OPEN", "DSR-KEEPS", "DSR-DAY-MISSED"}
    entry = AuditEntry.objects.get(action="rights.requests-purge")
    assert entry.detail["messages"] == 2 and entry.detail["requests"] == 2


@pytest.mark.clause("RIGHTS-18")
def test_a_restriction_that_still_holds_keeps_its_request(db, published, alice):
    """Lifting a restriction starts from its request: deleted after a year while the
    restriction held, nobody could ever lift it."""
    from keepfaith.rights.actions import restriction_holding
    from keepfaith.rights.models import RightsRequest
    from tests.rights.conftest import ask, signed_in

    ask(signed_in(alice), "restriction")
    held = restriction_holding(customer=alice)
    assert held is not None and held.closed_at is not None
    RightsRequest.objects.filter(pk=held.pk).update(closed_at=T0 - dt.timedelta(days=400))
    assert _job("requests-purge").run(T0).endswith("and 0 closed requests")
    assert restriction_holding(customer=alice) == held


def test_the_rights_job_runs_before_the_requests_purge():
    names = [job.name for job in services.JOBS]
    assert names.index("rights") < names.index("requests-purge")


@pytest.mark.clause("QS-6")
def test_failed_sign_ins_are_deleted_once_the_cool_off_has_passed(db, settings):
    """A failed sign-in keeps the login address, IP address and browser; django-axes deletes
    old ones only when someone else signs in, so without the job they stayed for good."""
    from axes.models import AccessAttempt

    def attempt(at: dt.datetime, address: str) -> None:
        row = AccessAttempt.objects.create(
            username="carol@example.com", ip_address=address, user_agent="x",
            get_data="", post_data="", failures_since_start=1,
        )  # fmt: skip
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=at)

    attempt(T0 - dt.timedelta(days=3), "203.0.113.9")
    attempt(T0 - dt.timedelta(minutes=5), "203.0.113.10")  # still counts towards a lockout
    assert _job("attempts-purge").run(T0).startswith("deleted 1 failed sign-in")
    assert AccessAttempt.objects.count() == 1
    assert AuditEntry.objects.get(action="accounts.attempts-purge").detail["attempts"] == 1
