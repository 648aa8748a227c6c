"""``keepfaith vault rotate|rewrap|status``: key rotation for the card vault (PCI DSS 3.7)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from keepfaith.audit.services import Actor
from keepfaith.terminal import progress, whole_number
from keepfaith.vault.errors import VaultError
from keepfaith.vault.models import StoredCardRecord
from keepfaith.vault.services import (
    vault_keyring,
    vault_keyring_check,
    vault_rewrap,
    vault_rotate,
)


class Command(BaseCommand):
    help = (
        "rotate: add a new key version and re-wrap every stored card's data key under it "
        "(retired versions only decrypt). rewrap: finish an interrupted rotation. "
        "status: key versions and how many cards each one wraps."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("rotate", "rewrap"):
            cmd = sub.add_parser(name)
            cmd.add_argument("--batch-size", type=whole_number(1, 100_000), default=500)
        sub.add_parser("status")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._handle(options)
        except VaultError as exc:
            raise CommandError(str(exc)) from None

    def _handle(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "status":
            self._status()
            return
        batch = max(1, int(options["batch_size"]))
        with progress("re-wrapping stored cards", total=None) as update:

            def step(done: int, total: int) -> None:
                update(completed=done, total=total)

            if action == "rotate":
                actor = Actor.system("vault rotate")
                report = vault_rotate(actor=actor, batch_size=batch, progress=step)
            else:
                report = vault_rewrap(batch_size=batch, progress=step)
        self.stdout.write(str(report))

    def _status(self) -> None:
        counts = dict(
            StoredCardRecord.objects.values_list("key_version")
            .annotate(n=Count("pk"))
            .values_list("key_version", "n")
        )
        ring = vault_keyring()
        for kek in ring.versions():
            n = counts.pop(kek.version, 0)
            self.stdout.write(f"kek {kek.version} {kek.status:<8} {n} card(s)")
        token_only = counts.pop(None, 0)
        if token_only:
            self.stdout.write(f"token-only   {token_only} card(s)")
        for missing, n in sorted(counts.items()):
            self.stdout.write(f"kek {missing} missing  {n} card(s)")
        vault_keyring_check(ring)
