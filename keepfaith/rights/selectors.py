"""Reads of data-subject requests: a customer's own, the privacy officer's queue, the flags
that keep requests on time (RIGHTS-12)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet

from keepfaith.accounts.models import User
from keepfaith.policy import Policy
from keepfaith.policy.schema import duration_hours
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import OPEN_STATES, RightsRequest


def customer_requests(*, customer: User) -> QuerySet[RightsRequest]:
    """The customer's own requests, newest first."""
    return RightsRequest.objects.filter(customer=customer).order_by("-received_at", "-pk")


def customer_request(*, customer: User, reference: str) -> RightsRequest | None:
    """One of the customer's own requests (None for anyone else's)."""
    return RightsRequest.objects.filter(customer=customer, reference=reference).first()


def request_by_reference(*, reference: str) -> RightsRequest | None:
    """One request with its customer, steps and notices (the console's page)."""
    return (
        RightsRequest.objects.filter(reference=reference)
        .select_related("customer")
        .prefetch_related("steps", "notices")
        .first()
    )


def request_queue(*, open_only: bool = True) -> QuerySet[RightsRequest]:
    """Requests by due date; open ones only unless asked."""
    qs = RightsRequest.objects.select_related("customer").order_by("due_at", "pk")
    return qs.filter(state__in=OPEN_STATES) if open_only else qs


def _hours(value: str, default: int) -> dt.timedelta:
    return dt.timedelta(hours=duration_hours(value) or default)


@enforces("RIGHTS-12")
def request_flags(request: RightsRequest, *, policy: Policy, now: dt.datetime) -> frozenset[str]:
    """``overdue``, ``soon-due``, ``stalled`` (no step for the policy's stalled_after)."""
    if not request.is_open or policy.rights is None:
        return frozenset()
    rights = policy.rights
    flags = set()
    if now > request.due_at:
        flags.add("overdue")
    elif request.due_at - now <= _hours(rights.soon_due, 168):
        flags.add("soon-due")
    if now - request.last_step_at >= _hours(rights.stalled_after, 168):
        flags.add("stalled")
    return frozenset(flags)


@dataclass
class DueReport:
    """Open requests that need attention, by flag."""

    overdue: list[RightsRequest] = field(default_factory=list)
    soon_due: list[RightsRequest] = field(default_factory=list)
    stalled: list[RightsRequest] = field(default_factory=list)

    def summary(self) -> str:
        refs = {
            name: ", ".join(r.reference for r in rows) or "none"
            for name, rows in (
                ("overdue", self.overdue),
                ("soon due", self.soon_due),
                ("stalled", self.stalled),
            )
        }
        return "; ".join(f"{name}: {value}" for name, value in refs.items())


@enforces("RIGHTS-12", features=("rights.deadlines",))
def due_report(*, policy: Policy, now: dt.datetime) -> DueReport:
    """Every open request that is overdue, soon due or stalled (the daily job lists them)."""
    report = DueReport()
    for request in request_queue():
        flags = request_flags(request, policy=policy, now=now)
        if "overdue" in flags:
            report.overdue.append(request)
        if "soon-due" in flags:
            report.soon_due.append(request)
        if "stalled" in flags:
            report.stalled.append(request)
    return report
