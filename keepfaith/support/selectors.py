"""Reads of support: staff lists and details, and a customer's own tickets."""

from __future__ import annotations

from django.db.models import QuerySet

from keepfaith.accounts.models import User
from keepfaith.support.models import InformationRequest, SupportMessage, SupportTicket


def support_ticket_list() -> QuerySet[SupportTicket]:
    return SupportTicket.objects.select_related("assigned_to").order_by("-updated_at", "-pk")


def information_request_list() -> QuerySet[InformationRequest]:
    return InformationRequest.objects.order_by("-created_at", "-pk")


def support_ticket_of_customer(*, customer: User, reference: str) -> SupportTicket | None:
    """The ticket ``reference`` if it is this customer's; None otherwise (never another's)."""
    return SupportTicket.objects.filter(reference=reference, customer=customer).first()


def customer_tickets(*, customer: User) -> QuerySet[SupportTicket]:
    return SupportTicket.objects.filter(customer=customer).order_by("-updated_at", "-pk")


def ticket_messages(*, ticket: SupportTicket) -> QuerySet[SupportMessage]:
    """The replies after the ticket's description, oldest first."""
    return SupportMessage.objects.filter(ticket=ticket).select_related("staff")


def support_agents() -> QuerySet[User]:
    """Staff who can take a ticket: active staff accounts holding the support role."""
    return User.objects.filter(is_staff=True, is_active=True, groups__name="support").order_by(
        "email"
    )


def information_request_get(*, reference: str) -> InformationRequest | None:
    return InformationRequest.objects.filter(reference=reference).first()
