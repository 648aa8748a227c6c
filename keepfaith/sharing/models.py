"""Every release to a partner, and the privacy budget each partner has spent per month (BE-6).

A ``PartnerRelease`` row is written once, in the same transaction as its audit entry, when
the file is in the partner's drop folder: what (aggregates, period, format, the file's
SHA-256), to whom (the partner's key), when, by whom, under which policy version. Refused
releases leave no row, only an audit entry. ``PrivacyBudget`` holds, per partner and
calendar month of data, the differential-privacy loss spent by releases covering it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ReleaseFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class PartnerRelease(models.Model):
    """One file of aggregates given to one partner."""

    partner = models.CharField(max_length=64)
    aggregates = models.JSONField(default=list)
    period_start = models.DateField()
    period_end = models.DateField()
    file_format = models.CharField(max_length=4, choices=ReleaseFormat.choices)
    file_name = models.CharField(max_length=200, help_text="relative to KEEPFAITH_SHARING_DIR")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    policy_version = models.CharField(max_length=64)
    min_cell_size = models.PositiveIntegerField()
    suppressed = models.PositiveIntegerField(help_text="figures withheld")
    epsilon = models.FloatField(null=True, blank=True, help_text="privacy loss per month")
    delta = models.FloatField(null=True, blank=True)
    actor_kind = models.CharField(max_length=10)
    actor = models.CharField(max_length=254)
    scheduled = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created", "-pk")
        permissions = [
            ("release_partner_data", "Can release aggregates to partners and download them"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.period_start}..{self.period_end} ({self.file_format})"


class PrivacyBudget(models.Model):
    """The privacy loss spent on one calendar month of data for one partner."""

    partner = models.CharField(max_length=64)
    month = models.DateField(help_text="the first day of the month")
    epsilon_spent = models.FloatField(default=0.0)
    delta_spent = models.FloatField(default=0.0)
    releases = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("partner", "month")
        constraints = [
            models.UniqueConstraint(fields=("partner", "month"), name="sharing_budget_month"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m}: epsilon {self.epsilon_spent:g}"
