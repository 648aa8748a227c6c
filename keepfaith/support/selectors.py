"""Reads of support: staff lists and details, and a customer's own tickets."""

from __future__ import annotations

from django.db.models import QuerySet

from keepfaith.accounts.models import User
from keepfaith.support.models import InformationRequest, SupportTicket


def support_ticket_list() -> QuerySet[SupportTicket]:
    return SupportTicket.objects.order_by("-created_at", "-pk")


def information_request_list() -> QuerySet[InformationRequest]:
    return InformationRequest.objects.order_by("-created_at", "-pk")


def support_ticket_of_customer(*, customer: User, ticket_id: int) -> SupportTicket | None:
    """The ticket ``ticket_id`` if it is this customer's; None otherwise (never another's)."""
    return SupportTicket.objects.filter(pk=ticket_id, customer=customer).first()


def customer_tickets(*, customer: User) -> QuerySet[SupportTicket]:
    return SupportTicket.objects.filter(customer=customer).order_by("-created_at", "-pk")
