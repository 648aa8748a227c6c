"""Information requests and support tickets.

Each row carries ``expires_at``: when the retention of its use runs out; ``keepfaith support
purge`` deletes it then. An information request counts from its submission; a support ticket is
a conversation (``SupportMessage``) and its retention counts from its closing, under the policy
in force then: an open ticket has no deadline yet. ``policy_version`` names the
version shown with the form; the consent ledger holds the submission's record under
``subject_ref``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


def new_reference() -> str:
    """A reference for a request: random, so it reveals neither count nor order."""
    return secrets.token_hex(8)


class InformationRequest(models.Model):
    """A question someone sent us (anonymous allowed): contact details and the question.

    No link to an account: the point does not declare the customer number."""

    reference = models.CharField(max_length=32, unique=True, default=new_reference, editable=False)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    question = models.TextField(max_length=5000)
    language = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(max_length=10000, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    policy_version = models.ForeignKey(
        "versions.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"information request {self.reference}"

    @property
    def subject_ref(self) -> str:
        return f"request:{self.reference}"


class TicketStatus(models.TextChoices):
    """Where a conversation stands, as the customer reads it."""

    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting for you")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SupportTicket(models.Model):
    """A customer's technical problem, with the computer configuration they report (BE-3).

    The configuration fields serve the support use only and go with the ticket when its
    retention runs out."""

    reference = models.CharField(max_length=32, unique=True, default=new_reference, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_tickets"
    )
    customer_number = models.CharField(max_length=16)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    summary = models.CharField(max_length=200)
    description = models.TextField(max_length=10000)
    operating_system = models.CharField(max_length=120, blank=True)
    browser = models.CharField(max_length=120, blank=True)
    software_versions = models.TextField(max_length=2000, blank=True)
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    policy_version = models.ForeignKey(
        "versions.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        permissions = [
            ("view_ticket", "Can view support tickets and information requests (audited)"),
        ]

    def __str__(self) -> str:
        return f"support ticket {self.reference}"

    @cached_property  # the console's page reads it twice; one query
    def reply_address(self) -> str:
        """Where replies go: the address given with the ticket, unless it was the account's
        login address and the customer has since confirmed a new one (then the new one: the
        old address may no longer be theirs)."""
        customer = self.customer
        if customer is None or not customer.is_active:
            return self.email
        if self.email.casefold() == customer.email.casefold():
            return self.email
        moved = customer.contact_changes.filter(
            field="email", old__iexact=self.email, at__gt=self.created_at
        ).exists()
        return customer.email if moved else self.email

    @property
    def has_configuration(self) -> bool:
        return bool(self.operating_system or self.browser or self.software_versions)

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED


class MessageAuthor(models.TextChoices):
    CUSTOMER = "customer", _("You")
    STAFF = "staff", _("Support")


class SupportMessage(models.Model):
    """One turn of a ticket's conversation; deleted with its ticket.

    The first turn is the ticket's own description; messages hold the replies after it.
    ``staff`` names the agent for the console; the customer sees only "Support"."""

    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=16, choices=MessageAuthor.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.author} message on {self.ticket}"

    @property
    def from_staff(self) -> bool:
        return self.author == MessageAuthor.STAFF
