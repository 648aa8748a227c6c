"""Sending the outbox: one row per recipient, claimed, sent over SMTP, marked sent.

The states of a row and the guarantee (docs/mail.md, "Delivery guarantee"):

``queued`` --claim--> ``sending`` (Message-ID fixed, lease taken, committed)
--SMTP--> ``sent`` (committed right after the server's final 250)

- A claim commits before the SMTP transaction starts; marking sent commits right after the
  server's final reply to DATA. A worker killed anywhere else leaves each row either
  ``queued`` / ``sending`` without the message accepted by the server (sent again by the next
  worker: nothing skipped), or ``sent`` (never sent again: nothing twice).
- At-least-once, the window: a worker killed between the server's final 250 and the commit
  of ``sent`` leaves the row ``sending`` although the server has the message. When its lease
  ends (``MAIL_LEASE_SECONDS``, longer than the SMTP timeout, so a live worker never loses
  it) the row is taken over and sent again **with the same Message-ID**: a lost security
  announcement is worse than a duplicate, and a receiving system can tell the copy by its
  Message-ID. ``tests/comms/test_worker_kill.py`` kills inside and outside the window.
- Every message asks the gate again at send time, so an opt-out recorded after the campaign
  was queued stops the messages not sent yet (BE-8, QS-4): the row becomes ``skipped``.
- Claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (parallel workers take
  different rows); SQLite's IMMEDIATE transactions serialise them.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.comms.emails import RenderedMail, campaign_email, stored_email
from keepfaith.comms.models import OutboxMessage, OutboxStatus
from keepfaith.comms.selectors import optout_addresses
from keepfaith.gate import Gate
from keepfaith.inforce import InForce, in_force
from keepfaith.policy.trace import enforces

__all__ = ["deliver_pending", "deliver_row", "outbox_claim", "pending_count"]

WORKER_ACTOR = Actor.system("mail-worker")
_PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def _now() -> Any:
    return timezone.now()


def _message_domain() -> str:
    domain = settings.DKIM_DOMAIN or str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2]
    return domain.strip(" >") or "localhost"


def outbox_claim(*, row_id: int | None = None) -> OutboxMessage | None:
    """Take the next due row (or row ``row_id`` if it is due): mark it ``sending`` with a
    lease and a fixed Message-ID."""
    now = _now()
    due = Q(status=OutboxStatus.QUEUED, available_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )
    if row_id is not None:
        due &= Q(pk=row_id)
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",)).filter(due)
        row = rows.select_related("campaign").order_by("pk").first()
        if row is None:
            return None
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        row.lease_until = now + timedelta(seconds=settings.MAIL_LEASE_SECONDS)
        row.message_id = row.message_id or make_msgid(domain=_message_domain())
        row.save(update_fields=["status", "attempts", "lease_until", "message_id"])
    return row


def pending_count() -> tuple[int, int]:
    """(rows due now, rows held by a lease): what a burst worker still waits for."""
    now = _now()
    due = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.QUEUED, available_at__lte=now)
        | Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    ).count()
    later = OutboxMessage.objects.filter(
        Q(status=OutboxStatus.QUEUED, available_at__gt=now)
        | Q(status=OutboxStatus.SENDING, lease_until__gte=now)
    ).count()
    return due, later


ONE_TIME_REMOVED = "(removed once sent: it held a one-time link or code)"


def _finish(row: OutboxMessage, status: str, error: str = "") -> None:
    """Close the row; a one-time mail keeps no copy of its link or code from then on."""
    fields: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error[:300]}
    if status == OutboxStatus.SENT:
        fields["sent_at"] = _now()
    if row.one_time:
        fields.update(text_body=ONE_TIME_REMOVED, html_body="")
    OutboxMessage.objects.filter(pk=row.pk, status=OutboxStatus.SENDING).update(**fields)


def _retry(row: OutboxMessage, error: str) -> None:
    if row.attempts >= settings.MAIL_MAX_ATTEMPTS:
        _finish(row, OutboxStatus.FAILED, error)
        return
    later = _now() + timedelta(seconds=30 * 2 ** min(row.attempts, 8))
    OutboxMessage.objects.filter(pk=row.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.QUEUED, lease_until=None, available_at=later, last_error=error[:300]
    )


@enforces("BE-8", "QS-4")
def _campaign_message(row: OutboxMessage, gate: Gate, unsubscribe_address: str) -> Any:
    """The message for a campaign row, or a reason it may not go (the gate refused)."""
    campaign = row.campaign
    assert campaign is not None
    rule = gate.mail_kind(campaign.kind)
    decision = gate.check(
        use=rule.use,
        categories=("user.contact.email",),
        subject=row.recipient,
        purpose_context=f"campaign:{campaign.pk}",
    )
    if not decision.allowed:
        return decision.reason
    address = (
        User.objects.filter(customer_number=row.recipient, is_active=True)
        .values_list("email", flat=True)
        .first()
    )
    if address is None:
        return "no longer an active customer"
    subject, text, html = campaign.words(row.language)  # the recipient's language
    return campaign_email(
        to=address,  # the address on file now: a change takes effect at once (QS-4)
        subject_ref=row.recipient,
        kind=campaign.kind,
        kind_name=rule.name(row.language),
        opted_in=rule.choice == "opt-in" or rule.answer_required,
        unsubscribable=rule.unsubscribable,
        subject=subject,
        text=text,
        html=html,
        language=row.language,
        message_id=row.message_id,
        unsubscribe_address=unsubscribe_address,
    )


def _stored_message(row: OutboxMessage) -> Any:
    mail = RenderedMail(row.subject, row.text_body, row.html_body)
    return stored_email(
        to=row.to_address, mail=mail, message_id=row.message_id, in_reply_to=row.in_reply_to
    )


def _send_one(row: OutboxMessage, connection: Any, now: InForce) -> bool:
    """Send one claimed row; True if the connection is still usable."""
    if row.campaign_id is not None:
        gate = now.gate(actor=WORKER_ACTOR)  # fresh choices: opt-outs count at once
        unsubscribe = optout_addresses(policy=now.policy)[0]
        message = _campaign_message(row, gate, unsubscribe)
        if isinstance(message, str):
            _finish(row, OutboxStatus.SKIPPED, message)
            return True
    else:
        message = _stored_message(row)
    message.connection = connection
    try:
        connection.send_messages([message])
    except _PERMANENT as error:
        _finish(row, OutboxStatus.FAILED, f"refused by the server ({type(error).__name__})")
        return True
    except (smtplib.SMTPException, OSError) as error:
        _retry(row, f"{type(error).__name__}")
        return False
    _finish(row, OutboxStatus.SENT)
    return True


def deliver_row(*, row_id: int) -> bool:
    """Send row ``row_id`` now if it is still due (``mail_send`` calls this after commit);
    False when another worker has it or it went already."""
    row = outbox_claim(row_id=row_id)
    if row is None:
        return False
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        _retry(row, f"cannot reach the mail server ({type(error).__name__})")
        return False
    try:
        return _send_one(row, connection, in_force())
    finally:
        connection.close()


def deliver_pending(*, limit: int | None = None) -> int:
    """Send due outbox rows until none is left (or ``limit`` were handled); returns how many
    were handled. One SMTP connection is kept open and reopened after a failure. A task of
    its own: the policy in force is read once per call (each message still asks the gate)."""
    now = in_force()
    handled = 0
    connection = None
    try:
        while limit is None or handled < limit:
            row = outbox_claim()
            if row is None:
                break
            if connection is None:
                try:
                    connection = get_connection()
                    connection.open()
                except (smtplib.SMTPException, OSError) as error:
                    _retry(row, f"cannot reach the mail server ({type(error).__name__})")
                    connection = None
                    break
            if not _send_one(row, connection, now):
                connection.close()
                connection = None
            handled += 1
    finally:
        if connection is not None:
            connection.close()
    return handled
