"""``keepfaith audit verify|head|tail``: check and read the tamper-evident audit log."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from keepfaith.audit.models import AuditEntry
from keepfaith.audit.selectors import audit_entries, chain_verify, chained_models
from keepfaith.terminal import whole_number


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or show its head or latest entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the chain; exit 1 naming the first bad entry")
        sub.add_parser("head", help="print the last sequence number and hash (to anchor elsewhere)")
        tail = sub.add_parser(
            "tail", help="print the latest entries (a staff read: --as names the reader)"
        )
        tail.add_argument("-n", type=whole_number(1, 100_000), default=20)
        tail.add_argument("--as", dest="actor", required=True, help="staff e-mail")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify()
        elif action == "head":
            verdict = chain_verify()
            self.stdout.write(f"{verdict.checked} {verdict.head_hash}")
        else:
            self._tail(options["n"], options["actor"])

    def _tail(self, count: int, email: str) -> None:
        from keepfaith.console.cli import staff_cli_read
        from keepfaith.console.reads import AUDIT_LOG

        entries = list(audit_entries()[:count])
        subjects = [entry.subject for entry in entries if entry.subject]
        staff_cli_read(email=email, read=AUDIT_LOG, subjects=subjects, command="audit tail")
        for entry in reversed(entries):
            self.stdout.write(str(entry))

    def _verify(self) -> None:
        broken = False
        for model in chained_models():  # the audit log first, then every other chain
            verdict = chain_verify(model)
            name = "audit chain" if model is AuditEntry else f"{model.CHAIN} chain"
            (self.stdout if verdict.intact else self.stderr).write(verdict.summary(name))
            broken = broken or not verdict.intact
        if broken:
            sys.exit(1)
