"""Support pages: information requests (anyone) and support tickets (signed-in customers).

An anonymous information request creates no session and no cookie but the forgery token
(essential in the registry): the thank-you page is a plain redirect, no message in a session.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.portal.reconsent import customer_number_of
from keepfaith.support.forms import InformationRequestForm, SupportTicketForm
from keepfaith.support.selectors import support_ticket_of_customer
from keepfaith.support.services import information_request_create, support_ticket_create


@enforces("SITE-3", "BE-2", "BE-9")
@require_http_methods(["GET", "POST"])
def information_request(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request) if customer_number_of(request.user) is not None else None
    subject = customer.customer_number if customer is not None else None
    initial = {"email": customer.email, "name": customer.full_name} if customer else {}
    form = InformationRequestForm(data=request.POST or None, initial=initial, subject=subject)
    if request.method == "POST" and form.is_valid():
        information_request_create(form=form, customer=customer)
        return redirect("portal:support_request_sent")
    return render(request, "portal/support_request.html", {"form": form})


def information_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/support_request_sent.html")


@enforces("SITE-3", "BE-3", "BE-2")
@login_required
@require_http_methods(["GET", "POST"])
def support_ticket(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    initial = {"email": customer.email, "name": customer.full_name}
    form = SupportTicketForm(
        data=request.POST or None, initial=initial, subject=customer.customer_number
    )
    if request.method == "POST" and form.is_valid():
        ticket = support_ticket_create(form=form, customer=customer)
        return redirect("portal:support_ticket_detail", ticket_id=ticket.pk)
    return render(request, "portal/support_ticket.html", {"form": form})


@enforces("SITE-1")
@login_required
def support_ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = support_ticket_of_customer(customer=customer_of(request), ticket_id=ticket_id)
    if ticket is None:
        raise Http404("no such ticket")
    return render(request, "portal/support_ticket_detail.html", {"ticket": ticket})
