"""The consent ledger: every choice a person made, append-only and hash-chained.

``ConsentEvent`` is the ledger (it reuses the audit log's chain through ``ChainedRecord``);
``CurrentChoice`` is derived from it, one row per (subject, key), and can be regenerated from
the ledger exactly (``keepfaith consent rebuild``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from keepfaith.audit.models import ActorKind, ChainedRecord
from keepfaith.gate.choices import ChoiceStatus


class ConsentEventKind(models.TextChoices):
    GIVEN = "given", gettext_lazy("given")
    WITHDRAWN = "withdrawn", gettext_lazy("withdrawn")
    OPTED_OUT = "opted-out", gettext_lazy("opted out")
    OPTED_IN = "opted-in", gettext_lazy("opted in")
    NOTICE_ACKNOWLEDGED = "notice-acknowledged", gettext_lazy("notice acknowledged")


EVENT_STATUS: dict[str, ChoiceStatus | None] = {
    ConsentEventKind.GIVEN: ChoiceStatus.GIVEN,
    ConsentEventKind.OPTED_IN: ChoiceStatus.GIVEN,
    ConsentEventKind.WITHDRAWN: ChoiceStatus.WITHDRAWN,
    ConsentEventKind.OPTED_OUT: ChoiceStatus.OPTED_OUT,
    ConsentEventKind.NOTICE_ACKNOWLEDGED: None,
}
"""The choice state each event sets; a notice acknowledgement changes no state."""


RECEIPT_REF_LENGTH = 16


class ConsentEvent(ChainedRecord):
    """One choice or acknowledgement by one subject about one key, as it was recorded."""

    CHAIN = "consent"
    HASHED_FIELDS = (
        "at",
        "subject",
        "key",
        "event",
        "source",
        "policy_version_id",
        "evidence",
        "actor_kind",
        "actor",
    )

    at = models.DateTimeField(default=timezone.now, editable=False)
    subject = models.CharField(
        max_length=254, help_text="Whose choice: a customer number or another subject reference."
    )
    key = models.CharField(
        max_length=200, help_text="A use key, or outside_party:<key> for a go-ahead (BE-10)."
    )
    event = models.CharField(max_length=32, choices=ConsentEventKind.choices)
    source = models.CharField(
        max_length=120,
        help_text="Where: form:<id>, portal, email, one-click, staff, gpc, checkout, ...",
    )
    policy_version = models.ForeignKey(
        "versions.PolicyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_events",
        help_text="The policy version the person was shown.",
    )
    evidence = models.JSONField(
        default=dict, blank=True, help_text="e.g. the hash of the form as shown, a message id."
    )
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.CharField(max_length=254, help_text="Who recorded it.")

    class Meta(ChainedRecord.Meta):
        indexes = [models.Index(fields=["subject", "key", "seq"])]

    @property
    def receipt_ref(self) -> str:
        """How the customer's pages address this event's receipt: the start of its hash (its
        row number would tell how many choices every customer has made)."""
        return self.entry_hash[:RECEIPT_REF_LENGTH]

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.subject} {self.event} {self.key}"


class CurrentChoice(models.Model):
    """A subject's current state for one key: the last state-changing event of the ledger."""

    subject = models.CharField(max_length=254)
    key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in ChoiceStatus if s.value != "not-asked"]
    )
    event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+")
    policy_version = models.ForeignKey(
        "versions.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "key"], name="consent_one_choice_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.key}: {self.status}"
