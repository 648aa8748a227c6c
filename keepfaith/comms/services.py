"""Writes for mail: campaigns and their outbox rows, opt-outs from links and replies.

Rules kept here:

- A campaign's outbox gets one row per recipient of its audience (``audience_rows``), keyed
  ``campaign:<id>:<customer>``; queueing twice adds nothing (BE-8, QS-4).
- Transactional mail (verification, receipts, replies) never goes to a campaign audience.
- An opt-out is a consent-ledger event (``opted-out``) on the use of each kind named, with
  its source (``one-click``, ``web``, ``email``, ``staff``) and evidence; asking again for
  what is already declined records nothing new (idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import RenderedMail
from keepfaith.comms.models import Campaign, OutboxMessage
from keepfaith.comms.selectors import DECLINED, audience_rows, marketing_kinds
from keepfaith.comms.unsubscribe import UnsubscribeClaim, read_unsubscribe_token
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_record_many
from keepfaith.gate import Gate
from keepfaith.gate.runtime import active_gate
from keepfaith.policy.trace import enforces
from keepfaith.versions.selectors import active_policy, active_version

__all__ = [
    "CampaignError",
    "campaign_create",
    "campaign_queue",
    "mail_enqueue",
    "optout_record",
    "unsubscribe_claim",
]

_BATCH = 1000


class CampaignError(ValueError):
    """A campaign that cannot be created or sent; the message says why."""


def default_language() -> str:
    policy, _ = active_policy()
    return policy.controller.languages[0]


def campaign_create(
    *, kind: str, subject: str, text: str, html: str = "", actor: Actor
) -> Campaign:
    """A draft campaign of mail kind ``kind`` (marketing or service; never transactional)."""
    gate = active_gate(actor=actor)
    try:
        rule = gate.mail_kind(kind)
    except LookupError as error:
        raise CampaignError(str(error)) from None
    if kind == "transactional":
        raise CampaignError("transactional mail goes to one person at a time, not to an audience")
    if not subject.strip() or not text.strip():
        raise CampaignError("a campaign needs a subject and a text body")
    campaign = Campaign(
        kind=rule.kind,
        subject=subject.strip(),
        text_body=text,
        html_body=html,
        created_by=actor.ref,
    )
    campaign.full_clean()
    campaign.save()
    return campaign


def _rows(campaign: Campaign, gate: Gate, language: str) -> Iterable[list[OutboxMessage]]:
    fields = ("customer_number", "email", "language")
    people = audience_rows(kind=campaign.kind, gate=gate, fields=fields)
    batch: list[OutboxMessage] = []
    for number, email, own_language in people:
        batch.append(
            OutboxMessage(
                idempotency_key=f"campaign:{campaign.pk}:{number}",
                campaign=campaign,
                kind=campaign.kind,
                recipient=number or "",
                to_address=email,
                language=own_language or language,  # the customer's, else the policy's
            )
        )
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@enforces("BE-8", "QS-4", "BE-9")
def campaign_queue(*, campaign_id: int, actor: Actor) -> Campaign:
    """Queue the campaign: one outbox row per recipient of its audience, then wake the worker.

    Idempotent: a queued campaign is returned as it is.
    """
    gate = active_gate(actor=actor)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status == Campaign.Status.QUEUED:
            return campaign
        total = 0
        for batch in _rows(campaign, gate, default_language()):
            OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)
            total += len(batch)
        campaign.status = Campaign.Status.QUEUED
        campaign.queued_at = timezone.now()
        campaign.queued_by = actor.ref
        campaign.audience_size = total
        campaign.save(update_fields=["status", "queued_at", "queued_by", "audience_size"])
        audit_append(
            actor=actor,
            action="comms.campaign.queue",
            outcome="queued",
            subject="",
            categories=("user.contact.email",),
            use=gate.mail_kind(campaign.kind).use,
            clauses=gate.mail_kind(campaign.kind).clauses,
            detail={"campaign": campaign.pk, "kind": campaign.kind, "recipients": total},
        )
    transaction.on_commit(delivery_kick)
    return campaign


def mail_enqueue(
    *, key: str, kind: str, recipient: str, to: str, mail: RenderedMail, language: str
) -> OutboxMessage:
    """Queue one transactional message (rendered already) under idempotency key ``key``."""
    row, _ = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "to_address": to,
            "language": language,
            "subject": mail.subject,
            "text_body": mail.text,
            "html_body": mail.html,
        },
    )
    transaction.on_commit(delivery_kick)
    return row


def delivery_kick() -> None:
    """Tell the background worker there is mail: Celery gets a task; the database worker
    polls the outbox and needs no message."""
    if settings.TASK_BACKEND == "celery":
        from keepfaith.comms.tasks import configured_app, deliver_outbox

        configured_app()
        deliver_outbox.delay()


# --- opt-outs --------------------------------------------------------------------------------


def unsubscribe_claim(*, token: str) -> UnsubscribeClaim:
    """Verify an unsubscribe link's token (current secret, then the retired ones)."""
    return read_unsubscribe_token(
        token,
        secret=settings.UNSUBSCRIBE_SECRET.encode("utf-8"),
        fallback_secrets=[s.encode("utf-8") for s in settings.UNSUBSCRIBE_SECRET_FALLBACKS],
    )


@enforces("BE-8", "BE-9", "QS-4")
def optout_record(
    *,
    subject: str,
    kinds: Iterable[str] | None,
    source: str,
    evidence: Mapping[str, Any],
    actor: Actor | None = None,
) -> list[str]:
    """Opt ``subject`` out of the marketing ``kinds`` (None: all marketing) in the ledger.

    Returns the use keys newly opted out; those already declined are left as they are, so
    the same request twice records nothing the second time. Service kinds are ignored.
    """
    gate = active_gate(actor=actor or Actor(ActorKind.CUSTOMER, subject))
    wanted = marketing_kinds(gate=gate) if kinds is None else list(kinds)
    uses = {
        gate.rulebook.mail_kinds[k].use
        for k in wanted
        if k in gate.rulebook.mail_kinds and gate.rulebook.mail_kinds[k].unsubscribable
    }
    with transaction.atomic():
        current = current_choices(subject=subject)
        changes = {
            use: "opted-out"
            for use in sorted(uses)
            if use not in current or current[use].status.value not in DECLINED
        }
        if changes:
            consent_record_many(
                subject=subject,
                changes=changes,
                source=source,
                policy_version=active_version(),
                evidence=dict(evidence),
                actor=actor,
            )
    return sorted(changes)
