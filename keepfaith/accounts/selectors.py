"""Reads of accounts. Console and portal views call these, never the models directly."""

from __future__ import annotations

from django.db.models import QuerySet

from keepfaith.accounts.models import ContactDetailsChange, User


def customer_list(*, search: str = "") -> QuerySet[User]:
    customers = User.objects.filter(is_staff=False).order_by("email")
    if search:
        customers = customers.filter(email__icontains=search.strip())
    return customers


def staff_list() -> QuerySet[User]:
    return User.objects.filter(is_staff=True).prefetch_related("groups").order_by("email")


def contact_history(*, customer: User) -> QuerySet[ContactDetailsChange]:
    """The customer's own contact-detail changes, newest first (QS-4)."""
    return ContactDetailsChange.objects.filter(customer=customer).order_by("-at", "-pk")
