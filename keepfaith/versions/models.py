"""Published policy versions: kept for ever, hash-chained like the audit log.

Consent records name the version a person was shown; the chain proves later that the text
stored for that version is the text that was published.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from keepfaith.audit.models import ChainedRecord


class PolicyVersion(ChainedRecord):
    CHAIN = "policy"
    HASHED_FIELDS = ("label", "content_hash", "effective", "published_at", "source")

    label = models.CharField(max_length=100, help_text="The policy file's own `version`.")
    content_hash = models.CharField(
        max_length=80, unique=True, help_text="sha256:<hex> of the canonical policy."
    )
    effective = models.DateField()
    published_at = models.DateTimeField(default=timezone.now)
    source = models.TextField(help_text="The policy file exactly as published (YAML).")
    source_name = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(
        default=dict, blank=True, help_text="Diff against the version before."
    )
    requires_reconsent = models.JSONField(
        default=list, blank=True, help_text="Uses added or made stricter that need fresh consent."
    )

    class Meta(ChainedRecord.Meta):
        get_latest_by = "seq"

    def __str__(self) -> str:
        return f"{self.label} ({self.effective:%Y-%m-%d})"

    @property
    def in_force_from(self) -> dt.date:
        """The day this version took effect on the site: its effective date, or the day it
        was published when that is later (a text published today changed nothing before)."""
        return max(self.effective, timezone.localtime(self.published_at).date())
