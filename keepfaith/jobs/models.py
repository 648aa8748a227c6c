"""When each periodic job last ran, so a restarted runner does not run a job early."""

from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """The last successful run of one job (and the last failure, if any came after)."""

    name = models.CharField(max_length=64, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (last run {self.last_run_at})"
