"""``keepfaith store transfers``: send queued outside-party transfers through the gate."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from keepfaith.audit.services import Actor
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.store.outside import outside_transfer_send
from keepfaith.store.selectors import transfers_queued


class Command(BaseCommand):
    help = (
        "transfers: send the data queued for outside parties (e.g. organisation validation by "
        "the certificate authority). Each send asks the policy gate, which needs the "
        "customer's go-ahead, and is written to the audit log; a refused one stays queued."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("transfers")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("store transfers")
        gate = in_force().gate(actor=actor)
        sent = refused = 0
        for transfer in transfers_queued():
            try:
                outside_transfer_send(transfer=transfer, actor=actor, gate=gate)
            except PolicyViolation as exc:
                refused += 1
                self.stderr.write(f"{transfer.order.number}: refused: {exc}")
            else:
                sent += 1
        self.stdout.write(f"sent {sent} transfer(s), {refused} refused")
