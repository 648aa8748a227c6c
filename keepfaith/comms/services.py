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

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import RenderedMail
from keepfaith.comms.models import (
    Campaign,
    InboundMessage,
    InboundStatus,
    OptOutQueueItem,
    OutboxMessage,
)
from keepfaith.comms.selectors import audience_rows, marketing_kinds
from keepfaith.comms.unsubscribe import UnsubscribeClaim, read_unsubscribe_token
from keepfaith.consent.answers import choices_decline
from keepfaith.gate import Gate
from keepfaith.policy.rulebook import MailRule
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

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


def campaign_kind_checked(*, kind: str, subject: str, text: str, gate: Gate) -> MailRule:
    """The policy's rule for a campaign of ``kind`` with this subject and text, or why not."""
    try:
        rule = gate.mail_kind(kind)
    except LookupError as error:
        raise CampaignError(str(error)) from None
    if kind == "transactional":
        raise CampaignError("transactional mail goes to one person at a time, not to an audience")
    if not subject.strip() or not text.strip():
        raise CampaignError("a campaign needs a subject and a text body")
    return rule


def campaign_translations_checked(
    translations: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, dict[str, str]]:
    """The message in other languages, each with its subject and text (an HTML part is
    optional); a language with neither is left out, one with only one of them is refused."""
    kept: dict[str, dict[str, str]] = {}
    for lang, words in (translations or {}).items():
        subject, text = (words.get("subject") or "").strip(), words.get("text") or ""
        html = words.get("html") or ""
        if not subject and not text.strip() and not html.strip():
            continue
        if not subject or not text.strip():
            raise CampaignError(
                _("Give both a subject and a text for the %(language)s version, or neither.")
                % {"language": language_name(lang)}
            )
        kept[lang] = {"subject": subject[:200], "text": text, "html": html}
    return kept


def language_name(lang: str) -> str:
    """A language code as the reader's language names it ("Danish", "dansk")."""
    try:
        return str(get_language_info(lang)["name_translated"])
    except KeyError:
        return lang


def campaign_create(
    *,
    kind: str,
    subject: str,
    text: str,
    html: str = "",
    translations: Mapping[str, Mapping[str, str]] | None = None,
    actor: Actor,
    gate: Gate,
) -> Campaign:
    """A draft campaign of mail kind ``kind`` (marketing or service; never transactional),
    written in the policy's first language and, in ``translations``, in its others."""
    rule = campaign_kind_checked(kind=kind, subject=subject, text=text, gate=gate)
    campaign = Campaign(
        kind=rule.kind,
        subject=subject.strip(),
        text_body=text,
        html_body=html,
        translations=campaign_translations_checked(translations),
        created_by=actor.ref,
    )
    campaign.full_clean()
    campaign.save()
    return campaign


def _rows(
    campaign: Campaign, gate: Gate, language: str, active_service: QuerySet[User] | None
) -> Iterable[list[OutboxMessage]]:
    fields = ("customer_number", "email", "language")
    people = audience_rows(
        kind=campaign.kind, gate=gate, fields=fields, active_service=active_service
    )
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
def campaign_queue(
    *,
    campaign_id: int,
    actor: Actor,
    gate: Gate,
    language: str,
    active_service: QuerySet[User] | None = None,
) -> Campaign:
    """Queue the campaign: one outbox row per recipient of its audience, then wake the worker.

    ``language`` is for recipients who never told us theirs; ``active_service`` are the
    customers a service kind reaches (see ``comms.selectors``). Idempotent: a queued campaign
    is returned as it is.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status == Campaign.Status.QUEUED:
            return campaign
        total = 0
        for batch in _rows(campaign, gate, language, active_service):
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
    *,
    key: str,
    kind: str,
    recipient: str,
    to: str,
    mail: RenderedMail,
    language: str,
    in_reply_to: str = "",
    one_time: bool = False,
) -> OutboxMessage:
    """Queue one message to one person (rendered already) under idempotency key ``key``.
    Call ``keepfaith.comms.outgoing.mail_send``, which asks the gate first. ``one_time``: it
    holds a link or code that opens an account; its bodies are dropped once it is sent."""
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
            "in_reply_to": in_reply_to[:300],
            "one_time": one_time,
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
    gate: Gate,
    version: PolicyVersion | None,
    actor: Actor | None = None,
) -> list[str]:
    """Opt ``subject`` out of the marketing ``kinds`` (None: all marketing) in the ledger,
    under policy ``version`` (whose rulebook ``gate`` holds).

    Returns the use keys newly opted out; those already declined are left as they are, so
    the same request twice records nothing the second time. Service kinds are ignored.
    """
    wanted = marketing_kinds(gate=gate) if kinds is None else list(kinds)
    kinds_of = gate.rulebook.mail_kinds
    uses = {kinds_of[k].use for k in wanted if k in kinds_of and kinds_of[k].unsubscribable}
    return choices_decline(
        subject=subject,
        keys=uses,
        source=source,
        version=version,
        evidence=dict(evidence),
        actor=actor or Actor(ActorKind.CUSTOMER, subject),
    )


def inbound_purge(*, before: dt.datetime) -> int:
    """Delete the messages received at the opt-out and privacy addresses that were acted on
    before ``before``: an opt-out recorded or a request filed from one received then, a
    staff-queue item decided then (with the item). A message waiting for staff, or not yet
    processed (kept for a retry), stays however old. Returns how many messages."""
    acted = Q(status__in=(InboundStatus.OPTED_OUT, InboundStatus.RIGHTS_REQUEST)) & Q(
        received_at__lt=before
    )
    decided = Q(status=InboundStatus.QUEUED) & Q(
        queue__resolved_at__lt=before,
        queue__status__in=(OptOutQueueItem.Status.APPLIED, OptOutQueueItem.Status.DISMISSED),
    )
    with transaction.atomic():
        old = list(InboundMessage.objects.filter(acted | decided).values_list("pk", flat=True))
        OptOutQueueItem.objects.filter(message__in=old).delete()  # first: they protect it
        gone, _ = InboundMessage.objects.filter(pk__in=old).delete()
    return gone


def mail_erase(subject: str, *, address: str) -> None:
    """Delete mail sent to and received from the subject or ``address`` (RIGHTS-17),
    with the opt-out queue's items for it and the development sink's files naming it."""
    OutboxMessage.objects.filter(recipient=subject).delete()
    OutboxMessage.objects.filter(to_address__iexact=address).delete()
    inbound = InboundMessage.objects.filter(customer=subject) | InboundMessage.objects.filter(
        sender__iexact=address
    )
    OptOutQueueItem.objects.filter(message__in=inbound).delete()
    inbound.delete()
    folder = getattr(settings, "EMAIL_FILE_PATH", None)
    if not folder or not Path(folder).is_dir():
        return
    needle = address.lower().encode()
    for path in Path(folder).iterdir():
        if path.is_file() and _names_address(path.read_bytes().lower(), needle):
            path.unlink()


def _is_address_char(char: bytes) -> bool:
    return char.isalnum() or char in (b"_", b"-", b"+")


def _names_address(text: bytes, needle: bytes) -> bool:
    """Whether ``text`` holds the address ``needle`` whole, not inside a longer address
    (al@x.dk is not in val@x.dk nor in al@x.dk.example); both lower case."""
    at = text.find(needle)
    while at >= 0:
        end = at + len(needle)
        before, after, next_after = text[at - 1 : at], text[end : end + 1], text[end + 1 : end + 2]
        inside = (before and (_is_address_char(before) or before == b".")) or (
            after and (_is_address_char(after) or (after == b"." and next_after.isalnum()))
        )
        if not inside:
            return True
        at = text.find(needle, at + 1)
    return False
