"""``keepfaith support purge``: delete support data whose retention ran out."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from keepfaith.support.services import support_purge


class Command(BaseCommand):
    help = (
        "Support data retention. `purge` deletes every information request and support ticket "
        "(with the computer configuration and the conversation it holds) whose retention ran "
        "out: an information request keeps the deadline its use's retention set when it was "
        "stored (e.g. 1y), a support ticket the one set when it was closed (e.g. 90d for "
        "technical support, counted from closing; an open ticket is kept). Run it daily, as "
        "a cronjob. The deletion counts go to the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("purge", help="delete requests and tickets past their retention")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = support_purge()
        self.stdout.write(
            f"purged {counts['information_requests']} information requests and "
            f"{counts['support_tickets']} support tickets past their retention"
        )
