"""Mail: campaigns, the outbox (one row per recipient and message), received opt-out mail.

Rules kept by these tables:

- ``OutboxMessage.idempotency_key`` is unique: enqueueing a campaign twice, or a worker
  restarted after a crash, never makes a second row for the same recipient, so no message
  is sent twice (see ``keepfaith.comms.delivery`` for the states a row goes through).
- ``InboundMessage.raw`` holds the bytes exactly as received and is written before anything
  reads them, so a message whose processing fails is never lost.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Campaign(models.Model):
    """A message to every customer in a mail kind's audience (marketing or service)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        QUEUED = "queued", "queued"

    kind = models.CharField(max_length=64, help_text="A mail kind of the policy.")
    subject = models.CharField(max_length=200)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text="The message in the policy's other languages: {lang: {subject, text, html}}.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.CharField(max_length=254, help_text="Staff e-mail or job name.")
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    queued_by = models.CharField(max_length=254, blank=True)
    audience_size = models.PositiveIntegerField(null=True, blank=True)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="Queued by the campaigns job at this time (a draft)."
    )
    scheduled_by = models.CharField(max_length=254, blank=True)

    class Meta:
        permissions = [
            ("send_campaign", "Can compose and send marketing campaigns"),
            ("send_announcement", "Can send service announcements"),
            ("handle_optout_queue", "Can resolve opt-out mail that could not be matched"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}: {self.subject}"

    def words(self, language: str) -> tuple[str, str, str]:
        """Subject, text and HTML in ``language``, else in the policy's first language."""
        found = (self.translations or {}).get(language)
        if found:
            return found["subject"], found["text"], found.get("html", "")
        return self.subject, self.text_body, self.html_body


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENDING = "sending", "sending"
    SENT = "sent", "sent"
    SKIPPED = "skipped", "skipped (the gate refused: e.g. opted out since)"
    FAILED = "failed", "failed"


class OutboxMessage(models.Model):
    """One message to one recipient. Campaign rows render from their campaign; others
    (confirmation replies) carry their own rendered subject and bodies."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox"
    )
    kind = models.CharField(max_length=64)
    recipient = models.CharField(max_length=254, help_text="Subject reference (customer number).")
    to_address = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=200, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=254, blank=True)
    in_reply_to = models.CharField(
        max_length=300, blank=True, help_text="Message-ID this answers (an automatic reply)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    one_time = models.BooleanField(
        default=False,
        help_text="Holds a one-time link or code: its bodies are dropped once it is sent.",
    )

    class Meta:
        indexes = [models.Index(fields=["status", "available_at"])]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class InboundStatus(models.TextChoices):
    STORED = "stored", "stored, not processed yet"
    OPTED_OUT = "opted_out", "opt-out recorded"
    QUEUED = "queued", "in the staff queue"
    RIGHTS_REQUEST = "rights_request", "filed as a data-subject request"
    FAILED = "failed", "processing failed (kept; retried by `keepfaith mail process`)"


class InboundMessage(models.Model):
    """A message received at the unsubscribe or privacy address, raw bytes first."""

    received_at = models.DateTimeField(default=timezone.now)
    origin = models.CharField(max_length=300, help_text="smtp, or the imported file and key.")
    envelope_from = models.CharField(max_length=254, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=16, choices=InboundStatus.choices, default=InboundStatus.STORED
    )
    sender = models.CharField(max_length=254, blank=True)
    subject_line = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    customer = models.CharField(max_length=254, blank=True, help_text="Matched customer number.")
    outcome = models.CharField(max_length=32, blank=True)
    kinds = models.JSONField(default=list, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"inbound #{self.pk} {self.status}"


class OptOutQueueItem(models.Model):
    """A received message staff must look at: unmatched, unclear, an auto-reply, a bounce."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        APPLIED = "applied", "opt-out applied"
        DISMISSED = "dismissed", "dismissed"

    message = models.OneToOneField(InboundMessage, on_delete=models.PROTECT, related_name="queue")
    reason = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=254, blank=True)
    resolved_customer = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"queue #{self.pk} {self.reason} {self.status}"


class CampaignResult(models.Model):
    """What a campaign link brought, per day: sign-ups and orders of browsers that carried its
    code (``kf_campaign``, set only after consent to campaign measurement). Totals only: no
    person, browser or order is named."""

    code = models.CharField(max_length=32)
    day = models.DateField()
    signups = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "day"], name="comms_one_result_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.day}: {self.signups} sign-ups, {self.orders} orders"
