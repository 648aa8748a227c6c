"""``keepfaith jobs run [--once]`` / ``jobs list``: the retention jobs on their schedule."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.jobs import services
from keepfaith.jobs.selectors import job_runs
from keepfaith.terminal import seconds_between

RULES = "; ".join(f"{job.name} (every {job.period}): {job.rule}" for job in services.JOBS)


class Command(BaseCommand):
    help = (
        "Periodic retention jobs. `run --once` runs what is due and exits, non-zero if a "
        "job failed (for cron, e.g. hourly); `run` keeps running and sleeps until the next "
        "job is due. A job runs at most once per period, also across restarts (the last run "
        f"is stored). Jobs: {RULES}. Outgoing mail is sent by `keepfaith mail worker`, run "
        "beside this one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run the jobs that are due")
        run.add_argument("--once", action="store_true", help="run what is due, then exit")
        run.add_argument(
            "--poll",
            type=seconds_between(1, 86_400),
            default=300.0,
            help="longest sleep between checks (seconds)",
        )
        sub.add_parser("list", help="each job, its rule, last run and next run")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        while True:
            failed = self._run_due()
            if options["once"]:
                if failed:  # cron alerts on a non-zero exit
                    raise CommandError(f"{failed} job(s) failed; each is named above")
                return
            try:
                time.sleep(self._pause(options["poll"]))
            except KeyboardInterrupt:
                self.stdout.write("jobs runner stopped")
                return

    def _run_due(self) -> int:
        """Run the jobs that are due; the number that failed."""
        failed = 0
        for result in services.jobs_run_due():
            if result.error:
                failed += 1
                self.stderr.write(f"{result.name}: failed: {result.error}")
            else:
                self.stdout.write(f"{result.name}: {result.outcome}")
        return failed

    def _pause(self, poll: float) -> float:
        due = services.jobs_next_due()
        if due is None:
            return 1.0
        return max(1.0, min(poll, (due - services._now()).total_seconds()))

    def _list(self) -> None:
        runs = job_runs()
        for job in services.JOBS:
            row = runs.get(job.name)
            last = row.last_run_at if row else None
            due = services.job_due_at(job=job, last_run_at=last)
            self.stdout.write(
                f"{job.name}: every {job.period}; last run {last or 'never'}; "
                f"next {due or 'now'}\n  {job.rule}"
            )
            if row and row.last_error:
                self.stdout.write(f"  last error ({row.last_error_at}): {row.last_error}")
