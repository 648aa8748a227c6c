"""Writes for received opt-out mail: store first, then process; the staff queue.

Rules kept here (QS-4, BE-9, BE-1):

- ``inbound_store`` writes the raw bytes in their own transaction before anything reads
  them; a message that fails later stays stored (status ``failed``) and is retried by
  ``keepfaith mail process``. The same bytes twice are stored once.
- A message from a customer's address (normalised) to the unsubscribe address opts them out
  of all marketing; to the privacy address, of the kinds it names. The opt-out is a ledger
  event with source ``email`` and the Message-ID as evidence, and a confirmation reply goes
  back (transactional, no unsubscribe headers, ``Auto-Submitted: auto-replied``).
- Mail to the privacy address that asks for no opt-out (unclear to the opt-out reader) is
  offered to the privacy-mail handler the rights app registers
  (``privacy_mail_handler_register``; comms sits beside rights and does not import it): when
  it files a data-subject request (RIGHTS-12) the message is ``rights_request``, else queued.
  Mail to the unsubscribe address never goes there.
- Unknown senders, unclear or mixed requests, auto-replies and bounces go to the staff
  queue, never to a silent drop, and get no reply.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.inbound import InboundMessage as ParsedMessage
from keepfaith.comms.inbound import parse_inbound
from keepfaith.comms.models import InboundMessage, InboundStatus, OptOutQueueItem
from keepfaith.comms.optout import OptOutOutcome, OptOutRequest, QueueReason, classify_optout
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.comms.selectors import mail_kind_words, optout_addresses
from keepfaith.comms.services import optout_record
from keepfaith.gate import Gate
from keepfaith.inforce import InForce, in_force
from keepfaith.policy import Policy
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces

__all__ = [
    "inbound_deliver",
    "inbound_process",
    "inbound_store",
    "privacy_mail_handler_register",
    "queue_apply",
    "queue_dismiss",
]

log = logging.getLogger(__name__)
INTAKE_ACTOR = Actor.system("mail-intake")
UNKNOWN_SENDER = "unknown_sender"
_NO_REPLY = {"bounce", "auto_reply", "no_sender", "not_addressed_to_us"}
# When the policy has no separate unsubscribe address, mail to the privacy address is read
# for what it asks; this stands in for the missing address and matches no message.
_NO_UNSUBSCRIBE_ADDRESS = "no-separate-unsubscribe-address@invalid.invalid"


class PrivacyMailHandler(Protocol):
    """Files the data-subject request a message asks for; None when it asks for none."""

    def __call__(
        self, *, sender: str, subject: str, body: str, policy: Policy, gate: Gate, language: str
    ) -> object | None: ...


_privacy_mail_handler: list[PrivacyMailHandler] = []


def privacy_mail_handler_register(handler: PrivacyMailHandler) -> None:
    """Set the handler for privacy-address mail that is no opt-out (the rights app's
    ``AppConfig.ready``); registering again replaces it."""
    _privacy_mail_handler[:] = [handler]


def inbound_store(
    *, raw: bytes, origin: str, envelope_from: str = "", envelope_to: tuple[str, ...] = ()
) -> tuple[InboundMessage, bool]:
    """Store a received message exactly as it came; (row, created). Commits at once."""
    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        existing = InboundMessage.objects.filter(sha256=digest).first()
        if existing is not None:
            return existing, False
        row = InboundMessage.objects.create(
            raw=raw,
            sha256=digest,
            origin=origin[:300],
            envelope_from=envelope_from[:254],
            envelope_to=list(envelope_to),
        )
    return row, True


def inbound_deliver(envelope_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> None:
    """The SMTP listener's ``deliver``: store (raises if that fails, so the sender retries),
    then process; a processing failure leaves the message stored and marked ``failed``.

    It runs in the listener's worker threads, which no request cycle tidies up: each message
    starts with ``close_old_connections`` (a broken connection is replaced) and ends by
    closing the thread's connections, since a persistent connection (``CONN_MAX_AGE``) in a
    worker thread would outlive its use; mail arrives seldom enough to connect per message.
    """
    close_old_connections()
    try:
        row, created = inbound_store(
            raw=raw, origin="smtp", envelope_from=envelope_from, envelope_to=rcpt_tos
        )
        if created:
            inbound_process(message_id=row.pk)
    finally:
        connections.close_all()


def _customer_for(sender: str | None) -> User | None:
    if not sender:
        return None
    local, _, domain = sender.rpartition("@")
    forms = {sender}
    with contextlib.suppress(UnicodeError, ValueError):
        forms.add(f"{local}@{domain.encode('ascii').decode('idna')}")
    customers = User.objects.filter(
        is_staff=False, customer_number__isnull=False, email__in=sorted(forms)
    )
    return customers.first()


def _parse(row: InboundMessage) -> ParsedMessage:
    return parse_inbound(
        bytes(row.raw),
        envelope_from=row.envelope_from or None,
        envelope_rcpts=row.envelope_to,
        max_bytes=settings.MAIL_MAX_INBOUND_BYTES,
    )


def _classify(parsed: ParsedMessage, now: InForce) -> OptOutRequest:
    unsubscribe, privacy = optout_addresses(policy=now.policy)
    if unsubscribe.lower() == privacy.lower():
        unsubscribe = _NO_UNSUBSCRIBE_ADDRESS
    gate = now.gate(actor=INTAKE_ACTOR)
    return classify_optout(
        parsed,
        unsubscribe_address=unsubscribe,
        privacy_address=privacy,
        mail_kinds=mail_kind_words(gate=gate),
    )


def _to_queue(row: InboundMessage, reason: str) -> None:
    OptOutQueueItem.objects.get_or_create(message=row, defaults={"reason": reason})
    row.status = InboundStatus.QUEUED
    row.outcome = reason


def _kind_names(kinds: Sequence[str], *, now: InForce, language: str) -> list[str]:
    """Mail kinds as the reader knows them: the policy's name of each kind's use, in
    ``language`` (the key only for a kind the policy no longer has)."""
    names = []
    for kind in kinds:
        rule = now.rulebook.mail_kinds.get(kind)
        use = now.policy.use_by_key(rule.use) if rule is not None else None
        names.append(text_in(use.name, language) if use is not None else kind)
    return names


def _confirm(
    row: InboundMessage,
    *,
    customer: str,
    to: str,
    request: OptOutRequest,
    kinds: list[str],
    now: InForce,
    message_id: str,
) -> None:
    """Queue the confirmation reply (transactional) for an opt-out received by e-mail."""
    language = now.language(request.language)
    mail_send(
        name="optout_confirmation",
        to=Recipient(address=to, subject=customer, language=language),
        context={
            "kinds": _kind_names(kinds, now=now, language=language),
            "refused_kinds": _kind_names(request.refused_kinds, now=now, language=language),
            "all_marketing": request.outcome == OptOutOutcome.OPT_OUT_ALL_MARKETING,
        },
        key=f"reply:inbound:{row.pk}",
        gate=now.gate(actor=INTAKE_ACTOR),
        purpose=f"inbound:{row.pk}",
        in_reply_to=message_id,
    )


def _rights_request_filed(
    row: InboundMessage, parsed: ParsedMessage, request: OptOutRequest, now: InForce
) -> bool:
    """Offer privacy-address mail that asks for no opt-out to the rights app's handler."""
    if (
        request.addressed_to != "privacy"
        or request.reason != QueueReason.UNCLEAR
        or not request.sender
        or not _privacy_mail_handler
    ):
        return False
    customer = _customer_for(request.sender)
    filed = _privacy_mail_handler[0](
        sender=request.sender,
        subject=parsed.subject,
        body=parsed.body_text,
        policy=now.policy,
        gate=now.gate(actor=INTAKE_ACTOR),
        language=now.language(customer.language if customer else request.language),
    )
    if filed is None:
        return False
    row.status, row.outcome = InboundStatus.RIGHTS_REQUEST, InboundStatus.RIGHTS_REQUEST
    row.customer = (customer.customer_number or "") if customer else ""
    return True


def _apply(
    row: InboundMessage, parsed: ParsedMessage, request: OptOutRequest, now: InForce
) -> None:
    if request.outcome == OptOutOutcome.TO_QUEUE:
        if not _rights_request_filed(row, parsed, request, now):
            _to_queue(row, str(request.reason))
        return
    customer = _customer_for(request.sender)
    if customer is None or customer.customer_number is None:
        _to_queue(row, UNKNOWN_SENDER)
        return
    number = customer.customer_number
    all_marketing = request.outcome == OptOutOutcome.OPT_OUT_ALL_MARKETING
    kinds = None if all_marketing else list(request.kinds)
    optout_record(
        subject=number,
        kinds=kinds,
        source="email",
        evidence={
            "message_id": parsed.message_id or "",
            "address": request.addressed_to or "",
            "request": request.evidence[:300],
        },
        gate=now.gate(actor=INTAKE_ACTOR),
        version=now.version,
        actor=Actor(ActorKind.CUSTOMER, number),
    )
    row.status, row.customer, row.outcome = InboundStatus.OPTED_OUT, number, str(request.outcome)
    row.kinds = list(request.kinds)
    _confirm(
        row,
        customer=number,
        to=request.sender or "",
        request=request,
        kinds=row.kinds,
        now=now,
        message_id=parsed.message_id or "",
    )


@enforces("QS-4", "BE-9", "BE-1", features=("choices.opt-out-by-email",))
def inbound_process(*, message_id: int) -> str:
    """Read, classify and act on one stored message; returns its new status. Never raises:
    a failure is kept on the row (``failed``) for ``keepfaith mail process`` to retry.

    A task of its own: it reads the policy in force once, at its start."""
    row = InboundMessage.objects.get(pk=message_id)
    now = in_force()
    try:
        with transaction.atomic():
            parsed = _parse(row)
            row.sender = (parsed.sender or "")[:254]
            row.subject_line = parsed.subject[:300]
            row.message_id = (parsed.message_id or "")[:300]
            _apply(row, parsed, _classify(parsed, now), now)
            row.processed_at, row.error = timezone.now(), ""
            row.save()
    except Exception as error:  # kept stored; the reason is on the row, not the content
        log.exception("inbound message %s not processed", row.pk)
        InboundMessage.objects.filter(pk=row.pk).update(
            status=InboundStatus.FAILED, error=f"{type(error).__name__}: {error}"[:300]
        )
        return InboundStatus.FAILED
    return row.status


# --- the staff queue -------------------------------------------------------------------------


def _close(item: OptOutQueueItem, *, status: str, actor: Actor, customer: str, note: str) -> None:
    item.status, item.resolved_at, item.resolved_by = status, timezone.now(), actor.ref
    item.resolved_customer, item.note = customer, note[:300]
    item.save()
    audit_append(
        actor=actor,
        action=f"comms.queue.{status}",
        outcome=status,
        subject=customer,
        categories=("user.contact.email",),
        use="marketing.communications.email",
        clauses=("BE-9", "QS-4"),
        detail={"queue_item": item.pk, "reason": item.reason, "note": note[:300]},
    )


@enforces("BE-9", "QS-4")
def queue_apply(
    *,
    item_id: int,
    customer: str,
    kinds: list[str] | None,
    actor: Actor,
    now: InForce,
    note: str = "",
) -> list[str]:
    """Staff decided: opt ``customer`` out of ``kinds`` (None: all marketing) for this item."""
    with transaction.atomic():
        item = (
            OptOutQueueItem.objects.select_for_update(of=("self",))
            .select_related("message")
            .get(pk=item_id)
        )
        if item.status != OptOutQueueItem.Status.OPEN:
            raise ValueError(f"queue item {item_id} is already {item.status}")
        if not User.objects.filter(customer_number=customer, is_staff=False).exists():
            raise ValueError(f"no customer with number {customer!r}")
        uses = optout_record(
            subject=customer,
            kinds=kinds,
            source="staff",
            evidence={"message_id": item.message.message_id},  # its Message-ID, no row number
            gate=now.gate(actor=actor),
            version=now.version,
            actor=actor,
        )
        _close(
            item, status=OptOutQueueItem.Status.APPLIED, actor=actor, customer=customer, note=note
        )
    return uses


def queue_dismiss(*, item_id: int, actor: Actor, note: str = "") -> None:
    """Staff decided the item asks for no opt-out (a bounce, an out-of-office, a question)."""
    with transaction.atomic():
        item = OptOutQueueItem.objects.select_for_update().get(pk=item_id)
        if item.status != OptOutQueueItem.Status.OPEN:
            raise ValueError(f"queue item {item_id} is already {item.status}")
        _close(item, status=OptOutQueueItem.Status.DISMISSED, actor=actor, customer="", note=note)
