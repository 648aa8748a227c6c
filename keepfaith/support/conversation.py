"""A support ticket as a conversation, and answers to information requests (BE-3).

- Staff reply from the console: the ticket becomes "answered", or "waiting for you" when the
  agent needs something from the customer; the customer gets a notice by e-mail in their
  language (``mail_send``, kind ``transactional``) with the reply and a link to the ticket.
- The customer replies on the portal: the ticket is "open" again, waiting for support.
- Either side closes it. Closing starts the retention clock: the ticket (with its messages and
  the computer configuration) is deleted when the support point's retention in the policy in
  force at closing has passed (``keepfaith support purge``).
- An information request has no account and no portal page: staff answer it by e-mail from the
  console; the answer is kept with the request until the request's own deadline.

Every change is in the audit log under who made it (no message text there: the log outlives
the ticket).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.support.models import (
    InformationRequest,
    MessageAuthor,
    SupportMessage,
    SupportTicket,
    TicketStatus,
)
from keepfaith.support.services import RESUBMIT_WINDOW, uses_deadline

SUPPORT_USE = "essential.service.operations.support"
TICKET_POINT = "support-ticket"
MAX_BODY = 10000


class TicketClosed(Exception):
    """A closed ticket takes no more replies: the customer opens a new one."""


def _now() -> dt.datetime:
    return timezone.now()


def _clean_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise ValueError("a reply needs some text")
    if len(text) > MAX_BODY:
        raise ValueError(f"a reply holds at most {MAX_BODY} characters")
    return text


def _audit(actor: Actor, ticket: SupportTicket, action: str, **detail: object) -> None:
    audit_append(
        actor=actor,
        action=action,
        outcome="done",
        subject=ticket.customer_number,
        categories=["user.unique_id"],
        use=SUPPORT_USE,
        clauses=["BE-3"],
        detail={"ticket": ticket.reference, **detail},
    )


def _resubmitted(
    ticket: SupportTicket,
    author: str,
    text: str,
    now: dt.datetime,
    *,
    staff: User | None = None,
) -> SupportMessage | None:
    """The ticket's last message, when it is this same reply sent moments ago (the caller
    holds the ticket's row lock, so two submits cannot both miss it)."""
    last = ticket.messages.order_by("-created_at", "-pk").first()
    if (
        last is not None
        and last.author == author
        and (staff is None or last.staff_id == staff.pk)
        and last.body == text
        and now - last.created_at <= RESUBMIT_WINDOW
    ):
        return last
    return None


def _staff_actor(staff: User) -> Actor:
    return Actor(ActorKind.STAFF, staff.email)


@enforces("BE-3")
def support_reply_staff(
    *,
    ticket: SupportTicket,
    staff: User,
    body: str,
    waiting: bool,
    gate: Gate,
    language: str,
) -> SupportMessage:
    """An agent's reply: stored, the status set, the ticket assigned to the agent if it had no
    one, and the customer told by e-mail (in ``language``) once the transaction commits."""
    text = _clean_body(body)
    with transaction.atomic():
        ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.is_closed:
            raise TicketClosed("this ticket is closed")
        now = _now()
        status = TicketStatus.WAITING if waiting else TicketStatus.ANSWERED
        again = _resubmitted(ticket, MessageAuthor.STAFF, text, now, staff=staff)
        if again is not None and ticket.status == status:  # a changed status is a new reply
            return again
        message = SupportMessage.objects.create(
            ticket=ticket, author=MessageAuthor.STAFF, staff=staff, body=text, created_at=now
        )
        ticket.status = status
        ticket.assigned_to = ticket.assigned_to or staff
        ticket.updated_at = now
        ticket.save(update_fields=["status", "assigned_to", "updated_at"])
        _audit(_staff_actor(staff), ticket, "support.reply", status=ticket.status)
        mail_send(
            name="support_reply",
            to=Recipient(ticket.reply_address, ticket.customer_number or None, language),
            context={
                "summary": ticket.summary,
                "reply": text,
                "waiting": waiting,
                "ticket_url": page_url(
                    "portal:support_ticket_detail", language, ticket_ref=ticket.reference
                ),
                "name": ticket.name,
            },
            key=f"support-reply:{message.pk}",
            gate=gate,
            purpose="telling a customer that support answered their ticket",
        )
    return message


@enforces("BE-3")
def support_reply_customer(*, ticket: SupportTicket, body: str) -> SupportMessage:
    """The customer's reply: the ticket is open again, waiting for support."""
    text = _clean_body(body)
    with transaction.atomic():
        ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.is_closed:
            raise TicketClosed("this ticket is closed")
        now = _now()
        again = _resubmitted(ticket, MessageAuthor.CUSTOMER, text, now)
        if again is not None:
            return again
        message = SupportMessage.objects.create(
            ticket=ticket, author=MessageAuthor.CUSTOMER, body=text, created_at=now
        )
        ticket.status = TicketStatus.OPEN
        ticket.updated_at = now
        ticket.save(update_fields=["status", "updated_at"])
        _audit(Actor(ActorKind.CUSTOMER, ticket.customer_number), ticket, "support.reply")
    return message


@enforces("BE-3")
def support_ticket_close(
    *, ticket: SupportTicket, policy: Policy, actor: Actor, now: dt.datetime | None = None
) -> SupportTicket:
    """Close the conversation and set its deadline: closing plus the retention of the support
    point's uses in ``policy`` (the policy in force at closing). Closing twice changes
    nothing."""
    with transaction.atomic():
        ticket = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.is_closed:
            return ticket
        moment = now or _now()
        point = policy.collection_point_by_id(TICKET_POINT)
        uses = point.uses if point is not None else (SUPPORT_USE,)
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = moment
        ticket.updated_at = moment
        ticket.expires_at = uses_deadline(policy=policy, uses=uses, start=moment)
        ticket.save(update_fields=["status", "closed_at", "updated_at", "expires_at"])
        deadline = ticket.expires_at.isoformat() if ticket.expires_at else ""
        _audit(actor, ticket, "support.close", expires_at=deadline)
    return ticket


@enforces("BE-3")
def support_ticket_assign(
    *, ticket: SupportTicket, agent: User | None, staff: User
) -> SupportTicket:
    """Give the ticket to ``agent`` (None: to no one); ``staff`` is who did it."""
    if agent is not None and not agent.is_staff:
        raise ValueError("a ticket goes to a staff member only")
    with transaction.atomic():
        ticket.assigned_to = agent
        ticket.save(update_fields=["assigned_to"])
        _audit(_staff_actor(staff), ticket, "support.assign", agent=agent.email if agent else "")
    return ticket


@enforces("BE-3")
def information_request_answer(
    *, row: InformationRequest, staff: User, body: str, gate: Gate, language: str
) -> InformationRequest:
    """Answer a question by e-mail to the address it came from, in ``language``; keep the
    answer with the request (deleted together at the request's deadline)."""
    text = _clean_body(body)
    with transaction.atomic():
        row = InformationRequest.objects.select_for_update().get(pk=row.pk)
        now = _now()
        row.answer = text
        row.answered_at = now
        row.save(update_fields=["answer", "answered_at"])
        audit_append(
            actor=_staff_actor(staff),
            action="support.request.answer",
            outcome="done",
            subject=row.subject_ref,
            categories=["user.contact.email"],
            use="essential.service.operations.information_request",
            clauses=["BE-3"],
            detail={"request": row.reference},
        )
        mail_send(
            name="information_answer",
            to=Recipient(row.email, row.subject_ref, language),
            context={
                "question": row.question,
                "answer": text,
                "name": row.name,
                "deleted_on": row.expires_at,
            },
            key=f"information-answer:{row.pk}:{now.timestamp()}",
            gate=gate,
            purpose="answering a question sent to us",
        )
    return row
