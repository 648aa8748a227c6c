"""Support in the console: tickets and information requests, for support staff (BE-3).

Every page that shows them is an audited read naming the customers shown (``staff_read``).
On a ticket's page an agent replies (the customer gets a notice by e-mail in their language),
marks that the customer's answer is awaited, gives the ticket to an agent or closes it; on a
request's page the agent answers the question by e-mail. The writes are in
``keepfaith.support.conversation`` and audited there.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keepfaith.accounts.models import User
from keepfaith.collection.fields import VisibleTextForm
from keepfaith.console import reads
from keepfaith.console.access import (
    closed_by_restriction,
    may_read,
    readers_of,
    section_read,
    staff_actor,
    staff_read,
    staff_view,
    subject_opened,
)
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.support.conversation import (
    MAX_BODY,
    TicketClosed,
    information_request_answer,
    support_reply_staff,
    support_ticket_assign,
    support_ticket_close,
)
from keepfaith.support.models import SupportTicket
from keepfaith.support.selectors import (
    information_request_get,
    information_request_list,
    support_agents,
    support_ticket_list,
    ticket_messages,
)


class StaffReplyForm(VisibleTextForm):
    body = forms.CharField(
        label=gettext_lazy("Reply"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6})
    )
    waiting = forms.BooleanField(
        label=gettext_lazy(
            "We need something from the customer (status: waiting for the customer)"
        ),
        required=False,
    )


class AnswerForm(VisibleTextForm):
    body = forms.CharField(
        label=gettext_lazy("Answer"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8})
    )


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@enforces("BE-3", "QS-3")
@staff_view()
@staff_read(reads.TICKETS, reads.INFORMATION_REQUESTS)
def support_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    tickets_qs = support_ticket_list()
    if status in {"open", "waiting", "answered", "closed"}:
        tickets_qs = tickets_qs.filter(status=status)
    tickets = list(tickets_qs[:200])
    closed = closed_by_restriction(request, (t.customer_number for t in tickets))
    tickets = [t for t in tickets if t.customer_number not in closed]
    requests = list(information_request_list()[:200])
    shown = {t.customer_number for t in tickets} | {r.subject_ref for r in requests}
    request.audited_subjects.extend(sorted(shown))  # type: ignore[attr-defined]
    context = {
        "tickets": tickets,
        "requests": requests,
        "restricted": len(closed),
        "status": status,
        "open_tickets": may_read(request, reads.TICKET),  # the list may show more than that
        "ticket_readers": readers_of(
            gate=in_force().gate(actor=staff_actor(request)), read=reads.TICKET
        ),
    }
    return render(request, "console/support.html", context)


def _ticket_or_404(reference: str) -> SupportTicket:
    ticket = support_ticket_list().filter(reference=reference).first()
    if ticket is None:
        raise Http404("no such ticket")
    return ticket


@enforces("BE-3", "QS-3")
@staff_view()
@staff_read(reads.TICKET)
def support_ticket(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    """The conversation, and the reply box: the reply goes to the customer by e-mail."""
    ticket = _ticket_or_404(ticket_ref)
    subject_opened(request, ticket.customer_number)
    form = StaffReplyForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = in_force()
        language = now.language(ticket.customer.language)
        try:
            support_reply_staff(
                ticket=ticket,
                staff=_staff(request),
                body=form.cleaned_data["body"],
                waiting=form.cleaned_data["waiting"],
                gate=now.gate(actor=staff_actor(request)),
                language=language,
            )
        except TicketClosed:
            messages.error(request, _("This ticket is closed; the customer can open a new one."))
        else:
            messages.success(
                request, _("Reply sent to %(email)s.") % {"email": ticket.reply_address}
            )
        return redirect("console:support_ticket", ticket_ref=ticket.reference)
    context = {
        "ticket": ticket,
        "conversation": ticket_messages(ticket=ticket),
        "form": form,
        "agents": support_agents(),
    }
    return render(request, "console/support_ticket.html", context)


@enforces("BE-3")
@staff_view()
@staff_read(reads.TICKETS)
def support_ticket_assign_view(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("console:support_ticket", ticket_ref=ticket_ref)
    ticket = _ticket_or_404(ticket_ref)
    subject_opened(request, ticket.customer_number)
    raw = request.POST.get("agent", "")
    agent = (
        support_agents().filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
    )
    if raw and agent is None:
        messages.error(request, _("Choose a member of the support team."))
    else:
        support_ticket_assign(ticket=ticket, agent=agent, staff=_staff(request))
        messages.success(
            request,
            _("Ticket given to %(email)s.") % {"email": agent.email}
            if agent
            else _("Ticket unassigned."),
        )
    return redirect("console:support_ticket", ticket_ref=ticket.reference)


@enforces("BE-3")
@staff_view()
@staff_read(reads.TICKETS)
def support_ticket_close_view(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("console:support_ticket", ticket_ref=ticket_ref)
    ticket = _ticket_or_404(ticket_ref)
    subject_opened(request, ticket.customer_number)
    if request.POST.get("confirm") != "yes":  # closing ends the conversation: confirmed
        messages.error(
            request, _("The ticket is still open: tick the box to confirm that it is closed.")
        )
        return redirect("console:support_ticket", ticket_ref=ticket.reference)
    closed = support_ticket_close(
        ticket=ticket, policy=in_force().policy, actor=staff_actor(request)
    )
    if closed.expires_at:
        deadline = date_format(closed.expires_at, "DATE_FORMAT")
        messages.success(
            request, _("Ticket closed; it is deleted on %(date)s.") % {"date": deadline}
        )
    else:
        messages.success(request, _("Ticket closed."))
    return redirect("console:support_ticket", ticket_ref=ticket.reference)


@enforces("BE-3", "QS-3")
@staff_view()
@staff_read(reads.INFORMATION_REQUESTS)
def information_request_page(request: HttpRequest, request_ref: str) -> HttpResponse:
    """A question sent to us, and the answer box: the answer goes by e-mail."""
    row = information_request_get(reference=request_ref)
    if row is None:
        raise Http404("no such request")
    subject_opened(request, row.subject_ref)
    form = AnswerForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = in_force()
        information_request_answer(
            row=row,
            staff=_staff(request),
            body=form.cleaned_data["body"],
            gate=now.gate(actor=staff_actor(request)),
            language=now.language(row.language),
        )
        messages.success(request, _("Answer sent to %(email)s.") % {"email": row.email})
        return redirect("console:support_request", request_ref=row.reference)
    phone = row.phone if section_read(request, reads.INFORMATION_REQUEST_PHONE) else ""
    context = {"row": row, "form": form, "phone": phone}
    return render(request, "console/support_request.html", context)
