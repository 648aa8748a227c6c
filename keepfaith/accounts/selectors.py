"""Reads of accounts. Console and portal views call these, never the models directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from keepfaith.accounts.models import ContactDetailsChange, EmailChangeRequest, User
from keepfaith.accounts.tokens import EMAIL_CHANGE_MAX_AGE


def customer_list(*, search: str = "") -> QuerySet[User]:
    """Customers by e-mail; ``search`` matches e-mail, name or customer number."""
    customers = User.objects.filter(is_staff=False).order_by("email")
    search = search.strip()[:100]
    if search:
        customers = customers.filter(
            Q(email__icontains=search)
            | Q(full_name__icontains=search)
            | Q(customer_number__iexact=search)
        )
    return customers


def customer_by_number(*, number: str) -> User | None:
    """The customer with customer number ``number`` (None: no such customer)."""
    return User.objects.filter(is_staff=False, customer_number=number[:16]).first()


def staff_list() -> QuerySet[User]:
    return User.objects.filter(is_staff=True).prefetch_related("groups").order_by("email")


def contact_history(*, customer: User) -> QuerySet[ContactDetailsChange]:
    """The customer's own contact-detail changes, newest first (QS-4)."""
    return ContactDetailsChange.objects.filter(customer=customer).order_by("-at", "-pk")


def customer_subject(user: Any) -> str | None:
    """The subject reference of a signed-in customer; None for staff and visitors."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_staff", True):
        return None
    return getattr(user, "customer_number", None) or None


def customer_joined(*, subject: str) -> dt.datetime | None:
    """When the customer with reference ``subject`` opened their account (None: unknown)."""
    joined = User.objects.filter(customer_number=subject).values_list("date_joined", flat=True)
    return joined.first()


def customer_language(*, subject: str = "", email: str = "") -> str:
    """The language the customer with reference ``subject`` (or login ``email``) chose with
    us ("" when unknown): every e-mail to them and the pages their links open use it."""
    found = User.objects.filter(is_staff=False)
    found = found.filter(customer_number=subject) if subject else found.filter(email=email)
    return found.values_list("language", flat=True).first() or ""


def email_change_pending(*, customer: User) -> EmailChangeRequest | None:
    """The customer's change of login address still waiting for confirmation (None: none,
    or its link has expired)."""
    fresh_since = timezone.now() - EMAIL_CHANGE_MAX_AGE
    return EmailChangeRequest.objects.filter(
        customer=customer, requested_at__gt=fresh_since
    ).first()
