"""The one path for mail to one person: verification and reset links, receipts, renewal
reminders, replies, notices (BE-8).

``mail_send`` renders the message in the recipient's language (``render_mail``), asks the gate
for the mail kind's use (transactional mail: the policy's service use), queues it in the outbox
under an idempotency key, and right after the transaction commits tries to send that one row
at once. What cannot be sent then stays queued for ``keepfaith mail worker``, so a slow or
broken mail server never loses a message and never fails the page that caused it.
Campaigns (one message to many) are queued by ``comms.services.campaign_queue``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from keepfaith.comms.emails import render_mail
from keepfaith.comms.models import OutboxMessage
from keepfaith.comms.services import mail_enqueue
from keepfaith.gate import Gate
from keepfaith.policy.trace import enforces

__all__ = ["Recipient", "mail_send"]

log = logging.getLogger(__name__)
ADDRESS = ("user.contact.email",)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message goes to: the address, the subject it is about (None for someone who is
    not a customer, e.g. the owner of an address that tried to sign up again), the language."""

    address: str
    subject: str | None
    language: str


# Mails that carry a link or code that opens an account or confirms a request: a copy kept
# after sending would let whoever reads the database (or a backup) use it.
ONE_TIME_MAILS = frozenset({"verify", "password_reset", "email_change_confirm", "rights_code"})


def one_time_key(key: str) -> str:
    """A one-time mail's idempotency key as stored: a hash (its key may hold the token of the
    link it carries, as ``password-reset:<id>:<token>`` does); the same key, the same hash."""
    return "one-time:" + hashlib.sha256(key.encode()).hexdigest()


@enforces("BE-8")
def mail_send(
    *,
    name: str,
    to: Recipient,
    context: Mapping[str, Any],
    key: str,
    gate: Gate,
    purpose: str,
    kind: str = "transactional",
    in_reply_to: str = "",
) -> OutboxMessage:
    """Render mail ``name`` (``templates/emails/[<lang>/]<name>.subject.txt|.txt|.html``) for
    ``to``, ask ``gate`` whether the kind's use may reach them, queue it under ``key`` (the
    same key twice queues one message) and send it once the transaction commits.

    Raises ``PolicyViolation`` (nothing queued) when the gate refuses.
    """
    rule = gate.mail_kind(kind)
    gate.require(use=rule.use, categories=ADDRESS, subject=to.subject, purpose_context=purpose)
    mail = render_mail(name=name, language=to.language, context=dict(context))
    one_time = name in ONE_TIME_MAILS
    row = mail_enqueue(
        key=one_time_key(key) if one_time else key,
        kind=kind,
        recipient=to.subject or "",
        to=to.address,
        mail=mail,
        language=to.language,
        in_reply_to=in_reply_to,
        one_time=one_time,
    )
    transaction.on_commit(functools.partial(_send_now, row_id=row.pk))
    return row


def _send_now(*, row_id: int) -> None:
    """Send the row just queued; a failure leaves it queued for the worker."""
    from keepfaith.comms.delivery import deliver_row

    try:
        deliver_row(row_id=row_id)
    except Exception:  # the worker retries; the page that queued it must not fail
        log.exception("outbox row %s not sent now; the mail worker will retry it", row_id)
