"""Support in the console: tickets and information requests, for support staff (BE-3).

Every page that shows them is an audited read naming the customers shown."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from keepfaith.console.access import audited_read, staff_view
from keepfaith.policy.trace import enforces
from keepfaith.support.selectors import information_request_list, support_ticket_list

SUPPORT_USE = "essential.service.operations.support"
TICKET_CATEGORIES = (
    "user.contact.email",
    "user.name",
    "user.unique_id",
    "user.device.computer_configuration",
)


@enforces("BE-3", "QS-3")
@staff_view("support.view_ticket")
@audited_read(
    "console.support.list",
    categories=["user.contact.email", "user.name", "user.unique_id"],
    use=SUPPORT_USE,
    clauses=["BE-3", "QS-3"],
)
def support_list(request: HttpRequest) -> HttpResponse:
    tickets = list(support_ticket_list()[:200])
    requests = list(information_request_list()[:200])
    request.audited_subjects.extend(sorted({t.customer_number for t in tickets}))  # type: ignore[attr-defined]
    context = {"tickets": tickets, "requests": requests}
    return render(request, "console/support.html", context)


@enforces("BE-3", "QS-3")
@staff_view("support.view_ticket")
@audited_read(
    "console.support.ticket", categories=TICKET_CATEGORIES, use=SUPPORT_USE, clauses=["BE-3"]
)
def support_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = support_ticket_list().filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("no such ticket")
    request.audited_subjects.append(ticket.customer_number)  # type: ignore[attr-defined]
    return render(request, "console/support_ticket.html", {"ticket": ticket})
