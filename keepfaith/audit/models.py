"""Append-only, hash-chained records: the audit log, and the base the consent ledger reuses."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from keepfaith.audit.chain import plain_value


class ChainHead(models.Model):
    """The last sequence number and hash of each chain, locked while an entry is appended."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class ChainedRecord(models.Model):
    """An entry in a hash chain. Subclasses name their chain and list their hashed fields."""

    CHAIN: ClassVar[str]
    HASHED_FIELDS: ClassVar[tuple[str, ...]]

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)
    seal = models.CharField(max_length=64, editable=False)
    key_id = models.CharField(max_length=12, editable=False)

    class Meta:
        abstract = True
        ordering = ("seq",)

    def chain_payload(self) -> dict[str, Any]:
        """The fields the hash covers, as plain JSON-able values (sequence number included)."""
        payload: dict[str, Any] = {"seq": self.seq}
        for name in self.HASHED_FIELDS:
            payload[name] = plain_value(getattr(self, name))
        return payload


class ActorKind(models.TextChoices):
    STAFF = "staff", "staff"
    CUSTOMER = "customer", "customer"
    SYSTEM = "system", "system"


class AuditEntry(ChainedRecord):
    """One decision that touched personal data, or one staff read of it."""

    CHAIN = "audit"
    HASHED_FIELDS = (
        "at",
        "actor_kind",
        "actor",
        "action",
        "subject",
        "categories",
        "use",
        "clauses",
        "outcome",
        "detail",
    )

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.CharField(
        max_length=254,
        help_text="Who acted: a staff e-mail, a customer number, or the name of a system job.",
    )
    action = models.CharField(max_length=100)
    subject = models.CharField(
        max_length=254, blank=True, help_text="Whose data, as a reference (never the data itself)."
    )
    categories = models.JSONField(default=list, blank=True)
    use = models.CharField(max_length=200, blank=True)
    clauses = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)

    class Meta(ChainedRecord.Meta):
        verbose_name_plural = "audit entries"
        permissions = [("verify_chain", "Can verify the audit chain")]
        indexes = [
            models.Index(fields=["subject", "at"]),
            models.Index(fields=["actor", "at"]),
            models.Index(fields=["action", "at"]),  # billing's payments without an order
        ]

    def __str__(self) -> str:
        from keepfaith.terminal import shell_time  # as the console shows it: local, zone named

        at = shell_time(self.at, seconds=True)
        return f"#{self.seq} {at} {self.actor} {self.action} {self.outcome}"
