"""``keepfaith share export|list|budget|verify``: aggregate releases to partners (BE-6)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from keepfaith.audit.services import Actor
from keepfaith.console.cli import staff_cli_actor
from keepfaith.inforce import in_force, in_force_scope
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget
from keepfaith.sharing.selectors import releases_recent
from keepfaith.sharing.services import (
    ReleaseRefused,
    ReleaseRequest,
    release_create,
    release_expired,
    release_file_intact,
    release_file_path,
    sharing_where,
)
from keepfaith.terminal import shell_time

PERMISSION = "sharing.release_partner_data"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _actor(email: str | None) -> Actor:
    if not email:
        return Actor.system("keepfaith share export")
    return staff_cli_actor(email, PERMISSION)


def _describe(release: PartnerRelease) -> str:
    noise = "" if release.epsilon is None else f", epsilon {release.epsilon:g}"
    return (
        f"release {release.pk}: {release.partner} {release.period_start}..{release.period_end} "
        f"{','.join(release.aggregates)} ({release.file_format}, {release.suppressed} withheld"
        f"{noise}) policy {release.policy_version} by {release.actor} at "
        f"{shell_time(release.created)}\n  {release.file_name} sha256 {release.sha256}"
    )


class Command(BaseCommand):
    help = (
        "Partner releases (BE-6). `export --partner KEY --from DATE --to DATE [--format "
        "csv|json] [--aggregate NAME]... [--as EMAIL]` writes the aggregates the policy lists "
        "for the partner, over whole calendar months, to the partner's drop folder under "
        "KEEPFAITH_SHARING_DIR: figures below the partner's min_cell_size are withheld (with a "
        "second figure per row or column), noise is added when the policy says so, and the "
        "release is recorded and audited with the file's SHA-256. `list` shows the releases, "
        "`budget` the privacy budget spent per month, `verify` checks every file's hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="release a partner's aggregates")
        export.add_argument("--partner", required=True)
        export.add_argument("--from", dest="start", type=_date, required=True)
        export.add_argument("--to", dest="end", type=_date, required=True)
        export.add_argument("--format", dest="file_format", choices=("csv", "json"), default="csv")
        export.add_argument("--aggregate", dest="aggregates", action="append", default=[])
        export.add_argument("--as", dest="actor", help="staff e-mail (default: the system)")
        listing = sub.add_parser("list", help="the latest releases")
        listing.add_argument("--partner")
        sub.add_parser("budget", help="privacy budget spent per partner and month")
        sub.add_parser("verify", help="check every release file against its recorded hash")

    def handle(self, *args: Any, **options: Any) -> None:
        with in_force_scope():
            action = options["action"]
            if action == "export":
                self._export(options)
            elif action == "list":
                releases = list(releases_recent(partner=options["partner"]))
                for release in releases:
                    self.stdout.write(_describe(release))
                if not releases:
                    self.stdout.write("no releases yet")
            elif action == "budget":
                self._budget()
            else:
                self._verify()

    def _budget(self) -> None:
        """Per partner of the policy in force: the budget spent per month, or why none is."""
        spent: dict[str, list[PrivacyBudget]] = {}
        for row in PrivacyBudget.objects.order_by("month"):
            spent.setdefault(row.partner, []).append(row)
        for partner in in_force().policy.recipients.partners:
            dp = partner.differential_privacy
            if dp is None:
                self.stdout.write(f"{partner.key}: no noise is added, so no budget is spent")
                continue
            rows = spent.get(partner.key, [])
            self.stdout.write(
                f"{partner.key}: at most epsilon {dp.budget_per_period:g} per month; "
                + (
                    "nothing spent yet"
                    if not rows
                    else f"{_count(len(rows), 'month')} with releases"
                )
            )
            for row in rows:
                self.stdout.write(
                    f"  {row.month:%Y-%m}: epsilon {row.epsilon_spent:g} "
                    f"(delta {row.delta_spent:.3g}) in {_count(row.releases, 'release')}"
                )

    def _export(self, options: dict[str, Any]) -> None:
        actor = _actor(options["actor"])
        now = in_force()
        request = ReleaseRequest(
            partner=options["partner"],
            start=options["start"],
            end=options["end"],
            file_format=options["file_format"],
            aggregates=tuple(options["aggregates"]),
        )
        try:
            release = release_create(
                request=request,
                policy=now.policy,
                gate=now.gate(actor=actor),
                version=now.label,
                actor=actor,
                where=sharing_where(policy=now.policy),
            )
        except ReleaseRefused as refused:
            raise CommandError(f"refused: {refused}") from None
        self.stdout.write(_describe(release))

    def _verify(self) -> None:
        policy = in_force().policy
        where = sharing_where(policy=policy)
        bad = expired = 0
        for release in PartnerRelease.objects.order_by("pk"):
            if release_file_intact(release=release, drop_dir=where.drop_dir):
                continue
            missing = not release_file_path(release=release, drop_dir=where.drop_dir).exists()
            if missing and release_expired(release=release, policy=policy, now=timezone.now()):
                expired += 1  # deleted by the sharing-expire job, as the policy says
                continue
            bad += 1
            self.stdout.write(f"release {release.pk}: {release.file_name} missing or changed")
        if bad:
            raise CommandError(f"{bad} release files missing or changed")
        gone = f" ({_count(expired, 'file')} deleted after its retention)" if expired else ""
        self.stdout.write(f"every release file kept matches its recorded SHA-256{gone}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
