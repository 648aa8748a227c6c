"""Support pages: information requests (anyone) and support tickets (signed-in customers).

An anonymous information request creates no session and no cookie but the forgery token
(essential in the registry): the thank-you page is a plain redirect, no message in a session.
A ticket is a conversation: the customer reads the replies, answers and closes it here; staff
answer in the console (``keepfaith.support.conversation``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keepfaith.accounts.selectors import customer_subject
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.collection.fields import VisibleTextForm
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import duration_text
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.portal.restricted import restricted_page, restriction_refuses
from keepfaith.support.conversation import (
    MAX_BODY,
    SUPPORT_USE,
    TICKET_POINT,
    TicketClosed,
    support_reply_customer,
    support_ticket_close,
)
from keepfaith.support.forms import InformationRequestForm, SupportTicketForm
from keepfaith.support.selectors import (
    customer_tickets,
    support_ticket_of_customer,
    ticket_messages,
)
from keepfaith.support.services import (
    information_request_create,
    support_ticket_create,
    uses_retention,
)


class ReplyForm(VisibleTextForm):
    body = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def support_home(request: HttpRequest) -> HttpResponse:
    """Where support starts: a question (anyone), technical support and the customer's own
    tickets (signed in)."""
    customer = customer_of(request) if customer_subject(request.user) is not None else None
    tickets = list(customer_tickets(customer=customer)[:50]) if customer else []
    return render(request, "portal/support_home.html", {"tickets": tickets, "customer": customer})


@enforces("SITE-3", "BE-2", "BE-9")
@require_http_methods(["GET", "POST"])
def information_request(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request) if customer_subject(request.user) is not None else None
    subject = customer.customer_number if customer is not None else None
    initial = {"email": customer.email, "name": customer.full_name} if customer else {}
    form = InformationRequestForm(data=request.POST or None, initial=initial, subject=subject)
    if request.method == "POST" and form.is_valid():
        language = in_force().language(get_language())
        information_request_create(form=form, customer=customer, language=language)
        return redirect("portal:support_request_sent")
    return render(request, "portal/support_request.html", {"form": form})


def information_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/support_request_sent.html")


@enforces("SITE-3", "BE-3", "BE-2")
@login_required
@require_http_methods(["GET", "POST"])
def support_ticket(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    if restriction_refuses(customer, _ticket_uses()):
        return restricted_page(request, doing=_("open a support ticket"))
    initial = {"email": customer.email, "name": customer.full_name}
    form = SupportTicketForm(
        data=request.POST or None, initial=initial, subject=customer.customer_number
    )
    if request.method == "POST" and form.is_valid():
        ticket = support_ticket_create(form=form, customer=customer)
        messages.success(request, _("Your ticket is open. We answer by e-mail and on this page."))
        return redirect("portal:support_ticket_detail", ticket_ref=ticket.reference)
    return render(request, "portal/support_ticket.html", {"form": form})


def _ticket_uses() -> tuple[str, ...]:
    """The uses a ticket's data serves: its collection point's, else the support use."""
    point = in_force().policy.collection_point_by_id(TICKET_POINT)
    return tuple(point.uses) if point is not None else (SUPPORT_USE,)


@enforces("SITE-1", "BE-3")
@login_required
@require_http_methods(["GET", "POST"])
def support_ticket_detail(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    """The conversation: the description, every reply, a reply box while it is not closed."""
    ticket = support_ticket_of_customer(customer=customer_of(request), reference=ticket_ref)
    if ticket is None:
        raise Http404("no such ticket")
    form = ReplyForm(data=request.POST or None)
    if request.method == "POST" and restriction_refuses(customer_of(request), _ticket_uses()):
        return restricted_page(request, doing=_("pass your reply on to our support staff"))
    if request.method == "POST" and form.is_valid():
        try:
            support_reply_customer(ticket=ticket, body=form.cleaned_data["body"])
        except TicketClosed:
            messages.error(request, _("This ticket is closed. Open a new one if you need help."))
        except ValueError:
            messages.error(request, _("Please write a reply first."))
        else:
            messages.success(request, _("Your reply is sent. We answer as soon as we can."))
        return redirect("portal:support_ticket_detail", ticket_ref=ticket.reference)
    policy = in_force().policy
    kept = uses_retention(policy=policy, uses=_ticket_uses())
    context = {
        "ticket": ticket,
        "conversation": ticket_messages(ticket=ticket),
        "form": form,
        "kept_after_closing": duration_text(kept, get_language() or "en") if kept else "",
    }
    return render(request, "portal/support_ticket_detail.html", context)


@enforces("BE-3")
@login_required
@require_POST
def support_ticket_close_view(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    customer = customer_of(request)
    ticket = support_ticket_of_customer(customer=customer, reference=ticket_ref)
    if ticket is None:
        raise Http404("no such ticket")
    actor = Actor(ActorKind.CUSTOMER, customer.subject_ref)
    support_ticket_close(ticket=ticket, policy=in_force().policy, actor=actor)
    messages.success(request, _("The ticket is closed. Thank you for letting us know."))
    return redirect("portal:support_ticket_detail", ticket_ref=ticket.reference)
