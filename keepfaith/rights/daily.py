"""The rights app's daily run: list the requests that need attention (RIGHTS-12) and delete
what an erasure kept once the policy's period has run out (RIGHTS-17)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from keepfaith.audit.services import Actor, audit_append
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.rights.actions import restriction_holding
from keepfaith.rights.erasure import erase_kept_store
from keepfaith.rights.models import RightsRequest
from keepfaith.rights.selectors import due_report


@enforces("RIGHTS-17")
def kept_data_expire(*, today: dt.date) -> int:
    """Erase the stores an erasure kept whose date has come; returns how many."""
    done = 0
    for request in RightsRequest.objects.filter(kind="erasure", state="done"):
        receipt = dict(request.receipt)
        expired = set(receipt.get("expired", []))
        for item in receipt.get("plan", []):
            if item["erase"] or item["store"] in expired or not item["until"]:
                continue
            if dt.date.fromisoformat(item["until"]) > today or request.customer is None:
                continue
            with transaction.atomic():
                erase_kept_store(item["store"], request.customer, address=request.requester_email)
                expired.add(item["store"])
                receipt["expired"] = sorted(expired)
                RightsRequest.objects.filter(pk=request.pk).update(receipt=receipt)
                audit_append(
                    actor=Actor.system("jobs rights"),
                    action="rights.kept-expired",
                    outcome="done",
                    subject=request.subject,
                    categories=("user.unique_id",),
                    use="essential.legal_obligation",
                    clauses=("RIGHTS-17",),
                    detail={"reference": request.reference, "store": item["store"]},
                )
            done += 1
    return done


def _still_needed(request: RightsRequest) -> bool:
    """Whether the request still does something: an erasure's receipt names kept data not
    yet deleted (``kept_data_expire`` reads it, on the day or late), or a restriction it
    recorded still holds (lifting it starts from the request)."""
    receipt = request.receipt or {}
    expired = set(receipt.get("expired", []))
    if any(
        not item["erase"] and item["store"] not in expired and item["until"]
        for item in receipt.get("plan", [])
    ):
        return True
    customer = request.customer
    if request.kind != "restriction" or customer is None:
        return False
    holding = restriction_holding(customer=customer)
    return holding is not None and holding.pk == request.pk


def requests_purge(*, before: dt.datetime) -> int:
    """Delete the requests about people's data closed before ``before`` (with their steps and
    recipient notices), except one that still does something (``_still_needed``); returns
    how many."""
    closed = RightsRequest.objects.filter(closed_at__lt=before).select_related("customer")
    doomed = [r.pk for r in closed if not _still_needed(r)]
    if not doomed:
        return 0
    RightsRequest.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@enforces("RIGHTS-12", features=("rights.deadlines",))
def rights_daily(*, policy: Policy, now: dt.datetime) -> str:
    """What the daily job reports: overdue, soon-due and stalled requests; kept data expired."""
    report = due_report(policy=policy, now=now)
    expired = kept_data_expire(today=timezone.localdate(now))
    return f"{report.summary()}; kept data deleted after its period: {expired}"
