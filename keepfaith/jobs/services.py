"""The periodic jobs that keep retention promises, and running the ones that are due.

Each job runs at most once per period: its ``JobRun`` row is claimed (compare-and-set on
``last_run_at``) before it runs, so a restarted runner, or two runners, never run it early or
twice. A job that fails gives its claim back and records the error; it is due again at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from keepfaith.audit.services import Actor, audit_append
from keepfaith.jobs.models import JobRun
from keepfaith.policy.trace import enforces


@dataclass(frozen=True, slots=True)
class Job:
    """One periodic job: its name, how often it runs, the rule it keeps, and what it does."""

    name: str
    period: dt.timedelta
    rule: str
    run: Callable[[dt.datetime], str]


@dataclass(frozen=True, slots=True)
class JobResult:
    """What one run of a job did (``error`` set when it failed)."""

    name: str
    outcome: str = ""
    error: str = ""


def _now() -> dt.datetime:
    """The clock of the runner (tests replace it)."""
    return timezone.now()


@enforces("QS-6")
def _logs_purge(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.weblog.conf import weblog_config_in_force
    from keepfaith.weblog.retention import logs_purge

    config = weblog_config_in_force(policy=in_force().policy)
    done = logs_purge(config=config, now=now, actor=Actor.system("jobs logs-purge"))
    return f"purged {done.raw_hits_removed} raw addresses, destroyed {done.keys_destroyed} keys"


def _logs_compact(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.weblog.conf import weblog_config_in_force
    from keepfaith.weblog.retention import logs_compact

    config = weblog_config_in_force(policy=in_force().policy)
    days = logs_compact(config=config, now=now, actor=Actor.system("jobs logs-compact"))
    return f"compacted the Parquet parts of {days} days"


def _logs_expire(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.weblog.conf import statistics_retention, weblog_config_in_force
    from keepfaith.weblog.retention import logs_expire

    policy = in_force().policy
    keep = statistics_retention(policy=policy)
    if keep is None:
        return "nothing deleted: no use of the web log's statistics has a period"
    config = weblog_config_in_force(policy=policy)
    days = logs_expire(config=config, keep=keep, now=now, actor=Actor.system("jobs logs-expire"))
    return f"deleted the facts and statistics of {days} days older than {keep.days} days"


def _renewals(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.store.renewals import renewals_run

    policy_now = in_force()
    gate = policy_now.gate(actor=Actor.system("jobs renewals"))
    done = renewals_run(gate=gate, policy=policy_now.policy, today=timezone.localdate(now))
    return (
        f"reminded {done.reminded} automatic renewals, charged {done.charged}, "
        f"{done.refused} left for the customer"
    )


def _certificates(now: dt.datetime) -> str:
    from keepfaith.certs.daily import certificates_daily
    from keepfaith.inforce import in_force

    policy_now = in_force()
    gate = policy_now.gate(actor=Actor.system("jobs certificates"))
    return certificates_daily(gate=gate, policy=policy_now.policy, now=now).summary()


def _support_purge(now: dt.datetime) -> str:
    from keepfaith.support.services import support_purge

    counts = support_purge(now=now)
    return (
        f"purged {counts['information_requests']} information requests and "
        f"{counts['support_tickets']} support tickets"
    )


@enforces("BE-6")
def _sharing_monthly(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.sharing.services import sharing_releases_due

    current = in_force()
    actor = Actor.system("jobs sharing-monthly")
    return sharing_releases_due(
        policy=current.policy,
        gate=current.gate(actor=actor),
        version=current.label,
        actor=actor,
        today=now.date(),  # partner figures are of whole UTC days (the web-log store's)
    )


def _sharing_expire(now: dt.datetime) -> str:
    from django.conf import settings

    from keepfaith.inforce import in_force
    from keepfaith.sharing.services import releases_expire

    gone = releases_expire(
        policy=in_force().policy,
        drop_dir=settings.SHARING_DIR,
        now=now,
        actor=Actor.system("jobs sharing-expire"),
    )
    return f"deleted {gone} partner release files past their retention"


def _email_change_purge(now: dt.datetime) -> str:
    from keepfaith.accounts.services import email_change_purge

    return f"deleted {email_change_purge(now=now)} unconfirmed changes of login address"


def _rights(now: dt.datetime) -> str:
    from keepfaith.inforce import in_force
    from keepfaith.rights.daily import rights_daily

    return rights_daily(policy=in_force().policy, now=now)


def _campaigns(now: dt.datetime) -> str:
    from keepfaith.audit.services import Actor
    from keepfaith.comms.campaigns import campaigns_queue_due
    from keepfaith.inforce import in_force
    from keepfaith.store.selectors import customers_with_active_service

    current = in_force()
    gate = current.gate(actor=Actor.system("campaigns"))
    queued = campaigns_queue_due(
        gate=gate,
        language=current.language(None),
        active_service=customers_with_active_service(),
        now=now,
    )
    return f"queued {queued} scheduled campaigns"


LEGAL_USE = "essential.legal_obligation"


@enforces("BE-9", "RIGHTS-12")
def _requests_purge(now: dt.datetime) -> str:
    from django.db import transaction

    from keepfaith.comms.services import inbound_purge
    from keepfaith.inforce import in_force
    from keepfaith.policy.schema import duration_hours
    from keepfaith.rights.daily import requests_purge

    use = in_force().policy.use_by_key(LEGAL_USE)
    hours = duration_hours(use.retention) if use is not None else None
    if hours is None:
        return f"nothing deleted: the policy gives {LEGAL_USE} no period"
    before = now - dt.timedelta(hours=hours)
    with transaction.atomic():
        messages = inbound_purge(before=before)
        requests = requests_purge(before=before)
        audit_append(
            actor=Actor.system("jobs requests-purge"),
            action="rights.requests-purge",
            outcome="deleted",
            categories=["user.contact.email", "user.name", "user.unique_id"],
            use=LEGAL_USE,
            clauses=["BE-9", "RIGHTS-12"],
            detail={"before": before.isoformat(), "messages": messages, "requests": requests},
        )
    return f"deleted {messages} received messages and {requests} closed requests"


@enforces("QS-6")
def _attempts_purge(now: dt.datetime) -> str:
    from axes.models import AccessAttempt
    from django.conf import settings

    before = now - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    gone, _ = AccessAttempt.objects.filter(attempt_time__lt=before).delete()
    audit_append(
        actor=Actor.system("jobs attempts-purge"),
        action="accounts.attempts-purge",
        outcome="deleted",
        categories=["user.contact.email", "user.device.ip_address"],
        use="essential.service.security",
        clauses=["QS-6"],
        detail={"before": before.isoformat(), "attempts": gone},
    )
    return f"deleted {gone} failed sign-in attempts older than the cool-off"


DAY = dt.timedelta(days=1)
JOBS: tuple[Job, ...] = (
    Job(
        "campaigns",
        dt.timedelta(minutes=5),
        "a campaign scheduled in the console is queued to its audience (as the policy and "
        "each customer's choices decide at that moment) within five minutes of its time",
        _campaigns,
    ),
    Job(
        "logs-purge",
        DAY,
        "raw client addresses older than the policy's log_files.raw_ip_retention (7d in the "
        "examples; KEEPFAITH_RAW_IP_RETENTION_DAYS may only shorten it) are deleted and the "
        "diagnostics file rewritten; pseudonym keys of closed days are destroyed",
        _logs_purge,
    ),
    Job(
        "logs-compact",
        DAY,
        "the web-log facts and raw requests of each closed day are merged into one Parquet "
        "part (rows unchanged; the raw retention still applies)",
        _logs_compact,
    ),
    Job(
        "logs-expire",
        DAY,
        "the web log's pseudonymous request facts and statistics of each day are deleted once "
        "the longest retention among the policy's log_files.uses has run out (2y in the "
        "QualitySSL example)",
        _logs_expire,
    ),
    Job(
        "renewals",
        DAY,
        "services whose customer turned on automatic renewal get a reminder the policy's "
        "renewals.reminder (14d in the examples) before they are due, and are charged once "
        "when due; nothing else is ever charged without the customer's confirmation",
        _renewals,
    ),
    Job(
        "certificates",
        DAY,
        "certificates still to send go to the certificate authority (after a go-ahead, or when "
        "it could not be reached), each paid renewal gets its certificate ordered with the same "
        "CSR, and certificates are marked expiring (owner reminded once) or expired (SITE-2)",
        _certificates,
    ),
    Job(
        "support-purge",
        DAY,
        "information requests and support tickets are deleted once the retention of their "
        "use in the policy ran out (e.g. 1y for information requests, 90d for support)",
        _support_purge,
    ),
    Job(
        "sharing-monthly",
        DAY,
        "each partner in the policy gets the aggregates the policy lists for it over the last "
        "whole calendar month, once, after the month ends (checked daily, so a missed day "
        "catches up); small figures withheld, noise within the partner's budget (BE-6)",
        _sharing_monthly,
    ),
    Job(
        "attempts-purge",
        DAY,
        "failed sign-in attempts (login address, IP address, browser) are deleted once the "
        "sign-in cool-off has passed (KEEPFAITH_LOGIN_COOLOFF_MINUTES), whether or not "
        "anyone signs in again",
        _attempts_purge,
    ),
    Job(
        "sharing-expire",
        DAY,
        "a partner release file is deleted from the drop folder once the longest retention "
        "among its partner's uses has run out (2y in the QualitySSL example); the record of "
        "the release (what went to whom, when, its hash) stays",
        _sharing_expire,
    ),
    Job(
        "email-change-purge",
        DAY,
        "a change of login address never confirmed is deleted once its link expired (3 days)",
        _email_change_purge,
    ),
    Job(
        "rights",
        DAY,
        "data-subject requests that are overdue, due within the policy's rights.soon_due or "
        "without progress for rights.stalled_after are listed; what an erasure kept under "
        "rights.kept_after_erasure is deleted when its period ends",
        _rights,
    ),
    Job(
        "requests-purge",
        DAY,
        "messages received at the opt-out and privacy addresses once acted on, and requests "
        "about people's data once closed, are deleted when the retention of "
        "essential.legal_obligation in the policy has run out (1y in the examples); a message "
        "waiting for staff stays, as do an erasure's request while data it kept is still to "
        "be deleted and a restriction's request while the restriction holds",
        _requests_purge,
    ),
)


def job_due_at(*, job: Job, last_run_at: dt.datetime | None) -> dt.datetime | None:
    """When ``job`` is next due (None: never ran, due now)."""
    return None if last_run_at is None else last_run_at + job.period


def _claim(job: Job, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    row, _ = JobRun.objects.get_or_create(name=job.name)
    previous = row.last_run_at
    due = job_due_at(job=job, last_run_at=previous)
    if due is not None and now < due:
        return False, previous
    won = JobRun.objects.filter(pk=row.pk, last_run_at=previous).update(last_run_at=now)
    return won == 1, previous


def job_run(*, job: Job, now: dt.datetime) -> JobResult | None:
    """Run ``job`` if it is due at ``now``; None when it is not due (or another runner has it)."""
    claimed, previous = _claim(job, now)
    if not claimed:
        return None
    try:
        outcome = job.run(now)
    except Exception as error:  # one failing job must not stop the others
        message = f"{type(error).__name__}: {error}"[:500]
        JobRun.objects.filter(name=job.name).update(
            last_run_at=previous, last_error=message, last_error_at=now
        )
        return JobResult(job.name, error=message)
    JobRun.objects.filter(name=job.name).update(last_outcome=outcome[:500])
    return JobResult(job.name, outcome=outcome)


def jobs_run_due(*, jobs: Sequence[Job] = JOBS, now: dt.datetime | None = None) -> list[JobResult]:
    """Run every job that is due, in order; return what each that ran did."""
    moment = now or _now()
    results = [job_run(job=job, now=moment) for job in jobs]
    return [result for result in results if result is not None]


def jobs_next_due(*, jobs: Sequence[Job] = JOBS) -> dt.datetime | None:
    """The earliest time a job is due again (None: one is due now)."""
    runs = dict(
        JobRun.objects.filter(name__in=[j.name for j in jobs]).values_list("name", "last_run_at")
    )
    dues = [job_due_at(job=job, last_run_at=runs.get(job.name)) for job in jobs]
    if any(due is None for due in dues):
        return None
    return min(due for due in dues if due is not None)
