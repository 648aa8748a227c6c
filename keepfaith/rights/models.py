"""Data-subject requests (GDPR Art. 15-22): who asked for what, when it is due, each step.

A ``RightsRequest`` has a reference the requester quotes, a received and a due date (one
calendar month, extended once by the privacy officer with a reason, RIGHTS-12), and a
timeline of ``RequestStep`` rows. The identity check is the signed-in account (after the
password is entered again) or a code mailed to the matched account's address; only the
code's hash is stored. Written only by ``keepfaith.rights.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RightKind(models.TextChoices):
    ACCESS = "access", _("Access to my data")
    PORTABILITY = "portability", _("A machine-readable copy of my data")
    RECTIFICATION = "rectification", _("Correct my data")
    ERASURE = "erasure", _("Erase my data and close my account")
    RESTRICTION = "restriction", _("Restrict the use of my data")
    OBJECTION = "objection", _("Object to a use of my data")


# The kinds as staff read them, about a requester (the choices above are the requester's
# own words: "Access to my data").
KIND_FOR_STAFF = {
    RightKind.ACCESS: _("Access"),
    RightKind.PORTABILITY: _("Copy in a machine-readable form"),
    RightKind.RECTIFICATION: _("Correction"),
    RightKind.ERASURE: _("Erasure and account closure"),
    RightKind.RESTRICTION: _("Restriction"),
    RightKind.OBJECTION: _("Objection"),
}


class RequestState(models.TextChoices):
    AWAITING_CODE = "awaiting-code", _("Waiting for the code sent by e-mail")
    QUEUED = "queued", _("With the privacy officer to identify the requester")
    OPEN = "open", _("Being handled")
    DONE = "done", _("Completed")
    REFUSED = "refused", _("Refused")


OPEN_STATES = (RequestState.AWAITING_CODE, RequestState.QUEUED, RequestState.OPEN)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Signed-in account")
    FORM = "form", _("Form on the site")
    EMAIL = "email", _("E-mail to the privacy address")


class RightsRequest(models.Model):
    """One request about one person's data."""

    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=RightKind.choices)
    state = models.CharField(max_length=20, choices=RequestState.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rights_requests",
    )
    subject = models.CharField(
        max_length=32, blank=True, help_text="The customer number once the requester is known."
    )
    requester_email = models.EmailField(max_length=254, blank=True)
    details = models.TextField(blank=True, max_length=4000)
    language = models.CharField(max_length=8, default="en")
    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    last_step_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    receipt = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("due_at", "pk")
        permissions = [("handle_requests", "Can handle data-subject requests")]
        indexes = [models.Index(fields=["state", "due_at"]), models.Index(fields=["subject"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.kind} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RequestStep(models.Model):
    """One step of a request's timeline: who did what, when."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=254)
    action = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class RecipientNotice(models.Model):
    """A rectification, erasure or restriction passed on to a recipient (RIGHTS-19)."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=64)
    action = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    delivered = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.recipient} told of {self.action}"


def step_detail(**values: Any) -> dict[str, Any]:
    """A step's detail without empty values."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}
