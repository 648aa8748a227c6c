"""``keepfaith campaign create|send|status``: marketing campaigns from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepfaith.audit.services import Actor
from keepfaith.comms.campaigns import campaign_state
from keepfaith.comms.models import Campaign
from keepfaith.comms.selectors import audience_for, campaign_progress
from keepfaith.comms.services import CampaignError, campaign_create, campaign_queue
from keepfaith.console.cli import staff_cli_actor
from keepfaith.inforce import in_force
from keepfaith.terminal import whole_number

MAIL_FILE_MAX_BYTES = 1_000_000  # a mail's text or HTML part; far more than any real one


def read_text(path: str | None) -> str:
    """The UTF-8 text of the file at ``path`` ("" for none), read no further than a mail's
    size limit; a file that is too large, not UTF-8 or holds a NUL is a ``CommandError``."""
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAIL_FILE_MAX_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > MAIL_FILE_MAX_BYTES:
        raise CommandError(
            f"{path}: larger than {MAIL_FILE_MAX_BYTES:,} bytes; a mail's text or HTML must be "
            "smaller"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path}: not UTF-8 text (byte {error.start + 1} cannot be read); "
            "save the mail's text as UTF-8"
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CommandError(f"{path}:{line}: a NUL character, which a mail cannot carry")
    return text


class Command(BaseCommand):
    help = "Create a campaign, queue it for sending, or show its progress."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a draft campaign; prints its id and audience")
        create.add_argument("--kind", required=True, help="a marketing mail kind of the policy")
        create.add_argument("--subject", required=True)
        create.add_argument("--text", required=True, help="file with the text body")
        create.add_argument("--html", help="file with the HTML body")
        create.add_argument("--as", dest="actor", required=True, help="staff e-mail (marketing)")
        send = sub.add_parser("send", help="queue a campaign: one outbox row per recipient")
        send.add_argument("campaign", type=whole_number(1, 2**63 - 1))
        send.add_argument("--as", dest="actor", required=True, help="staff e-mail (marketing)")
        status = sub.add_parser("status", help="outbox rows of a campaign by status")
        status.add_argument("campaign", type=whole_number(1, 2**63 - 1))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self._status(options["campaign"])
            return
        actor = staff_cli_actor(options["actor"], "comms.send_campaign")
        if action == "create":
            self._create(options, actor)
        else:
            self._send(options["campaign"], actor)

    def _create(self, options: dict[str, Any], actor: Actor) -> None:
        gate = in_force().gate(actor=actor)
        try:
            if not gate.mail_kind(options["kind"]).unsubscribable:
                raise CommandError("service announcements are sent with `keepfaith announce`")
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
        size = audience_for(kind=campaign.kind, gate=gate).count()
        self.stdout.write(f"campaign {campaign.pk} created ({campaign.kind}): {size} recipients")

    def _send(self, campaign_id: int, actor: Actor) -> None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"no campaign {campaign_id}")
        now = in_force()
        gate = now.gate(actor=actor)
        if not gate.mail_kind(campaign.kind).unsubscribable:
            raise CommandError("service announcements are sent with `keepfaith announce`")
        before = campaign.status
        if (
            before == Campaign.Status.DRAFT
            and not audience_for(kind=campaign.kind, gate=gate).exists()
        ):
            # as the console refuses it: a campaign marked sent to nobody cannot be sent later
            raise CommandError("nobody is in the audience now: there is nothing to send")
        campaign = campaign_queue(
            campaign_id=campaign_id, actor=actor, gate=gate, language=now.language(None)
        )
        if before != Campaign.Status.DRAFT:  # sending is idempotent: say that nothing was
            self.stdout.write(
                f"campaign {campaign.pk} was {before} already: nothing queued again "
                f"(`keepfaith campaign status {campaign.pk}`)"
            )
            return
        size = campaign.audience_size
        self.stdout.write(
            f"campaign {campaign.pk} queued: {size} message{'' if size == 1 else 's'}"
        )

    def _status(self, campaign_id: int) -> None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"no campaign {campaign_id}")
        state = campaign_state(campaign=campaign)  # as the console says it
        counts = state.counts or campaign_progress(campaign=campaign)
        parts = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(f"campaign {campaign.pk} {campaign.kind} {state.state}: {parts}")
