"""Reads of the job records."""

from __future__ import annotations

import datetime as dt

from keepfaith.jobs.models import JobRun


def job_last_run(*, name: str) -> dt.datetime | None:
    """When the job ``name`` last ran successfully (None: never)."""
    return JobRun.objects.filter(name=name).values_list("last_run_at", flat=True).first()


def job_runs() -> dict[str, JobRun]:
    """Every job's record by name."""
    return {row.name: row for row in JobRun.objects.all()}
