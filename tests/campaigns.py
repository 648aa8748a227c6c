"""Campaigns the way the console and the command create and queue them: with the gate of the
policy in force and the store's customers with an active service (for service kinds)."""

from __future__ import annotations

from keepfaith.audit.services import Actor
from keepfaith.comms.models import Campaign
from keepfaith.comms.services import campaign_create, campaign_queue
from keepfaith.inforce import in_force
from keepfaith.store.selectors import customers_with_active_service


def create_campaign(
    *, kind: str, subject: str, text: str, actor: Actor, html: str = ""
) -> Campaign:
    gate = in_force().gate(actor=actor)
    return campaign_create(kind=kind, subject=subject, text=text, html=html, actor=actor, gate=gate)


def queue_campaign(*, campaign_id: int, actor: Actor) -> Campaign:
    now = in_force()
    return campaign_queue(
        campaign_id=campaign_id,
        actor=actor,
        gate=now.gate(actor=actor),
        language=now.language(None),
        active_service=customers_with_active_service(),
    )
