"""Information requests and support tickets.

Each row carries ``expires_at``: when the retention of its use (in the policy in force at
submission) runs out; ``keepfaith support purge`` deletes it then. ``policy_version`` names the
version shown with the form; the consent ledger holds the submission's record under
``subject_ref``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    created_at = models.DateTimeField(default=timezone.now)
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
    created_at = models.DateTimeField(default=timezone.now)
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

    @property
    def has_configuration(self) -> bool:
        return bool(self.operating_system or self.browser or self.software_versions)
