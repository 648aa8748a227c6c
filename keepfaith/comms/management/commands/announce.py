"""``keepfaith announce``: a service announcement to every customer with an active service."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.comms.management.commands.campaign import read_text
from keepfaith.comms.services import CampaignError, campaign_create, campaign_queue
from keepfaith.console.cli import staff_cli_actor
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.store.selectors import customers_with_active_service


class Command(BaseCommand):
    help = (
        "Send a service announcement (may carry security information): it reaches every "
        "customer with an active service whatever their marketing choices and carries no "
        "unsubscribe. Privacy officer or administrator only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subject", required=True)
        parser.add_argument("--text", required=True, help="file with the text body")
        parser.add_argument("--html", help="file with the HTML body")
        parser.add_argument("--kind", default="service_announcements")
        parser.add_argument("--as", dest="actor", required=True, help="staff e-mail")

    @enforces("BE-8")
    def handle(self, *args: Any, **options: Any) -> None:
        actor = staff_cli_actor(options["actor"], "comms.send_announcement")
        now = in_force()
        gate = now.gate(actor=actor)
        try:
            if gate.mail_kind(options["kind"]).unsubscribable:
                raise CommandError(f"{options['kind']} is marketing: use `keepfaith campaign`")
            campaign = campaign_create(
                kind=options["kind"],
                subject=options["subject"],
                text=read_text(options["text"]),
                html=read_text(options["html"]),
                actor=actor,
                gate=gate,
            )
        except (CampaignError, LookupError) as error:
            raise CommandError(str(error)) from None
        campaign = campaign_queue(
            campaign_id=campaign.pk,
            actor=actor,
            gate=gate,
            language=now.language(None),
            active_service=customers_with_active_service(),
        )
        self.stdout.write(f"announcement {campaign.pk} queued: {campaign.audience_size} messages")
