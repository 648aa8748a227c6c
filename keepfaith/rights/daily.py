"""The rights app's daily run: list the requests that need attention (RIGHTS-12) and delete
what an erasure kept once the policy's period has run out (RIGHTS-17)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from keepfaith.audit.services import Actor, audit_append
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
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


def _still_keeps(request: RightsRequest, today: dt.date) -> bool:
    """Whether an erasure's receipt still names kept data whose date has not come: the
    request is what tells the daily run to delete it then (``kept_data_expire``)."""
    receipt = request.receipt or {}
    expired = set(receipt.get("expired", []))
    return any(
        not item["erase"]
        and item["store"] not in expired
        and item["until"]
        and dt.date.fromisoformat(item["until"]) >= today
        for item in receipt.get("plan", [])
    )


def requests_purge(*, before: dt.datetime, today: dt.date) -> int:
    """Delete the requests about people's data closed before ``before`` (with their steps and
    recipient notices), except an erasure whose kept data is still to be deleted; returns how
    many."""
    closed = RightsRequest.objects.filter(closed_at__lt=before)
    doomed = [r.pk for r in closed.only("pk", "receipt") if not _still_keeps(r, today)]
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
