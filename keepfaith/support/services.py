"""Writes to support: store a request or ticket with its consent record, purge expired ones.

Each submission asks the gate for the point's use and the categories it stores, writes the
row with ``expires_at`` from the use's retention, and records the submission in the consent
ledger naming the policy version shown, all in one transaction (BE-2, BE-3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.collection.forms import CollectionPointForm, gate_submission
from keepfaith.policy import Policy
from keepfaith.policy.schema import duration_hours
from keepfaith.policy.trace import enforces
from keepfaith.support.forms import InformationRequestForm, SupportTicketForm
from keepfaith.support.models import InformationRequest, SupportTicket, new_reference

# A form sent twice (a double click, a reload that posts again) within this time, with the
# same text, is the same ticket or reply: the first is kept and nothing is sent twice.
RESUBMIT_WINDOW = dt.timedelta(minutes=10)


def _now() -> dt.datetime:
    return timezone.now()


def retention_deadline(*, form: CollectionPointForm, start: dt.datetime) -> dt.datetime | None:
    """When data collected at the form's point must go: the longest retention among the
    point's uses that state a duration. None when every use states a keyword (such as
    ``while-customer``), which this deadline does not express."""
    return uses_deadline(policy=form.policy, uses=form.point.uses, start=start)


def uses_retention(*, policy: Policy, uses: Iterable[str]) -> str | None:
    """The longest stated retention (``90d``) among ``uses`` in ``policy``, or None."""
    found = []
    for key in uses:
        use = policy.use_by_key(key)
        if use is not None and (hours := duration_hours(use.retention)) is not None:
            found.append((hours, use.retention))
    return max(found)[1] if found else None


def uses_deadline(*, policy: Policy, uses: Iterable[str], start: dt.datetime) -> dt.datetime | None:
    """``start`` plus the longest stated retention among ``uses`` in ``policy`` (None when
    none states a duration)."""
    kept = uses_retention(policy=policy, uses=uses)
    hours = duration_hours(kept) if kept else None
    return start + dt.timedelta(hours=hours) if hours is not None else None


@enforces("BE-2", "BE-3", "SITE-3")
def information_request_create(
    *, form: InformationRequestForm, customer: User | None = None, language: str = ""
) -> InformationRequest:
    """Store a question. Its choices go to the customer's record when signed in, else to a
    subject reference of the request itself (``request:<reference>``)."""
    reference = new_reference()
    subject = customer.customer_number if customer and customer.customer_number else None
    ledger_subject = subject or f"request:{reference}"
    actor = Actor(ActorKind.CUSTOMER, ledger_subject)
    data = form.cleaned_data
    with transaction.atomic():
        gate_submission(form, actor=actor, subject=subject)
        created = _now()
        row = InformationRequest(
            reference=reference,
            email=data["email"],
            name=data.get("name") or "",
            phone=data.get("phone") or "",
            question=data["question"],
            language=language,
            created_at=created,
            expires_at=retention_deadline(form=form, start=created),
            policy_version=form.version,
        )
        row.full_clean()
        row.save()
        form.save_consent(subject=ledger_subject, actor=actor, evidence={"request": reference})
    return row


@enforces("BE-2", "BE-3", "SITE-3")
def support_ticket_create(*, form: SupportTicketForm, customer: User) -> SupportTicket:
    """Store a customer's ticket with the computer configuration they reported, for the
    support use only. Its deadline is set when it is closed (``support_ticket_close``): the
    support use's retention counts from then."""
    subject = customer.customer_number or ""
    actor = Actor(ActorKind.CUSTOMER, subject)
    data = form.cleaned_data
    with transaction.atomic():
        # one ticket per submission: the customer's row locked, the same ticket sent again
        # moments later (a double click, a reload) is the first one
        User.objects.select_for_update().filter(pk=customer.pk).first()
        created = _now()
        fields = {
            "email": data["email"],
            "name": data.get("name") or "",
            "summary": data["summary"],
            "description": data["description"],
            "operating_system": data.get("operating_system") or "",
            "browser": data.get("browser") or "",
            "software_versions": data.get("software_versions") or "",
        }
        earlier = (
            SupportTicket.objects.filter(
                customer=customer, created_at__gte=created - RESUBMIT_WINDOW, **fields
            )
            .order_by("-created_at")
            .first()
        )
        gate_submission(form, actor=actor, subject=subject)
        if earlier is not None:
            # the same ticket again: its box answers still count (a changed one is recorded)
            form.save_consent(subject=subject, actor=actor, evidence={"ticket": earlier.reference})
            return earlier
        row = SupportTicket(
            customer=customer,
            customer_number=subject,
            **fields,
            created_at=created,
            updated_at=created,
            expires_at=None,
            policy_version=form.version,
        )
        row.full_clean()
        row.save()
        form.save_consent(subject=subject, actor=actor, evidence={"ticket": row.reference})
    return row


@enforces("BE-3")
def support_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete information requests and tickets (with their conversations) whose retention ran
    out; audit the counts. An open ticket has no deadline: its retention counts from closing."""
    moment = now or _now()
    with transaction.atomic():
        _, gone = InformationRequest.objects.filter(expires_at__lte=moment).delete()
        requests = gone.get(InformationRequest._meta.label, 0)
        _, gone = SupportTicket.objects.filter(expires_at__lte=moment).delete()  # and messages
        tickets = gone.get(SupportTicket._meta.label, 0)
        counts = {"information_requests": requests, "support_tickets": tickets}
        audit_append(
            actor=Actor.system("support purge"),
            action="support.purge",
            outcome="deleted",
            categories=["user.contact.email", "user.device.computer_configuration"],
            use="essential.service.operations.support",
            clauses=["BE-3"],
            detail={"before": moment.isoformat(), **counts},
        )
    return counts


def support_erase(customer: User, *, address: str) -> None:
    """Delete the customer's tickets and the questions asked from ``address`` (RIGHTS-17)."""
    SupportTicket.objects.filter(customer=customer).delete()
    InformationRequest.objects.filter(email__iexact=address).delete()
