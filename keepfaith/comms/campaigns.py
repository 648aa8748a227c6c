"""A campaign's life before and after it is queued: edit or delete a draft, preview it as a
recipient would see it, send a test to oneself, schedule it, and its state as the outbox
reports it (BE-8, QS-4).

``campaign_queue`` (``comms.services``) remains the one way a campaign reaches its audience:
a scheduled draft is queued by the ``campaigns`` job through it, at its time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import RenderedMail, render_mail
from keepfaith.comms.models import Campaign
from keepfaith.comms.selectors import campaign_progress
from keepfaith.comms.services import (
    CampaignError,
    campaign_kind_checked,
    campaign_queue,
    campaign_translations_checked,
    mail_enqueue,
)
from keepfaith.gate import Gate
from keepfaith.policy.trace import enforces

PREVIEW_UNSUBSCRIBE = "https://example.invalid/unsubscribe/preview/"


def _draft(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise CampaignError(_("There is no campaign %(number)s.") % {"number": campaign_id})
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignError(_("This campaign was queued already: only a draft can change."))
    return campaign


def campaign_update(
    *,
    campaign_id: int,
    kind: str,
    subject: str,
    text: str,
    html: str,
    gate: Gate,
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> Campaign:
    """Change a draft: its kind, subject and bodies, in each language (a queued campaign
    never changes). A scheduled draft is no longer scheduled: what was confirmed for sending
    (its kind, so its audience, and its words) is not what it says now."""
    rule = campaign_kind_checked(kind=kind, subject=subject, text=text, gate=gate)
    checked = campaign_translations_checked(translations)
    with transaction.atomic():
        campaign = _draft(campaign_id)
        campaign.kind, campaign.subject = rule.kind, subject.strip()
        campaign.text_body, campaign.html_body = text, html
        campaign.translations = checked
        campaign.scheduled_for, campaign.scheduled_by = None, ""
        campaign.full_clean()
        campaign.save(
            update_fields=[
                "kind", "subject", "text_body", "html_body", "translations", "scheduled_for",
                "scheduled_by",
            ]
        )  # fmt: skip
    return campaign


def campaign_missing_languages(*, campaign: Campaign, languages: Sequence[str]) -> list[str]:
    """The policy's languages, after its first, that the campaign is not written in: their
    readers get the first language's text."""
    return [lang for lang in languages[1:] if lang not in (campaign.translations or {})]


def campaign_delete(*, campaign_id: int, actor: Actor) -> None:
    """Delete a draft (never a queued campaign: its outbox rows are the record of sending)."""
    with transaction.atomic():
        campaign = _draft(campaign_id)
        audit_append(
            actor=actor,
            action="comms.campaign.delete",
            outcome="deleted",
            subject="",
            categories=(),
            use="",
            clauses=(),
            detail={"campaign": campaign.pk, "kind": campaign.kind, "subject": campaign.subject},
        )
        campaign.delete()


def campaign_schedule(*, campaign_id: int, at: dt.datetime | None, actor: Actor) -> Campaign:
    """Have the ``campaigns`` job queue this draft at ``at`` (None: unschedule)."""
    if at is not None and at <= timezone.now():
        raise CampaignError(_("The time to send must be in the future."))
    with transaction.atomic():
        campaign = _draft(campaign_id)
        campaign.scheduled_for = at
        campaign.scheduled_by = actor.ref if at is not None else ""
        campaign.save(update_fields=["scheduled_for", "scheduled_by"])
    return campaign


@enforces("BE-8")
def campaigns_queue_due(
    *,
    gate: Gate,
    language: str,
    active_service: QuerySet[User] | None,
    now: dt.datetime | None = None,
) -> int:
    """Queue every scheduled draft whose time has come; returns how many were queued.
    ``active_service``: the customers a service announcement reaches (``campaign_queue``)."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.DRAFT, scheduled_for__lte=now)
    queued = 0
    for campaign in due.order_by("scheduled_for", "pk"):
        campaign_queue(
            campaign_id=campaign.pk,
            actor=Actor.system(f"scheduled by {campaign.scheduled_by}"[:254]),
            gate=gate,
            language=language,
            active_service=active_service,
        )
        queued += 1
    return queued


def campaign_render(
    *, campaign: Campaign, gate: Gate, language: str, unsubscribe_url: str = PREVIEW_UNSUBSCRIBE
) -> RenderedMail:
    """The message as a recipient reading ``language`` receives it (the same templates the
    worker sends; the unsubscribe link is a placeholder unless one is given)."""
    from django.utils.safestring import mark_safe

    rule = gate.mail_kind(campaign.kind)
    subject, text, html = campaign.words(language)
    context: dict[str, object] = {
        "subject": subject,
        "text": text,
        "html": mark_safe(html),  # noqa: S308 - composed by staff in the console
        "kind_name": rule.name(language),
        "opted_in": rule.choice == "opt-in" or rule.answer_required,
    }
    if rule.unsubscribable:
        context["unsubscribe_url"] = unsubscribe_url
    name = "marketing" if rule.unsubscribable else "service_announcement"
    return render_mail(name=name, language=language, context=context)


def campaign_test_send(
    *, campaign: Campaign, gate: Gate, to: str, language: str, actor: Actor
) -> None:
    """Queue the campaign once to the staff member's own address ``to``, marked as a test.
    Only staff receive tests: no customer is ever in a test's audience."""
    mail = campaign_render(campaign=campaign, gate=gate, language=language)
    test = RenderedMail(f"[TEST] {mail.subject}", mail.text, mail.html)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    mail_enqueue(
        key=f"campaign-test:{campaign.pk}:{to}:{language}:{stamp}",
        kind="transactional",
        recipient="",
        to=to,
        mail=test,
        language=language,
    )
    audit_append(
        actor=actor,
        action="comms.campaign.test",
        outcome="queued",
        subject="",
        categories=(),
        use="",
        clauses=(),
        detail={"campaign": campaign.pk, "language": language},
    )


@dataclass(frozen=True, slots=True)
class CampaignState:
    """Where a campaign is: ``draft``, ``scheduled``, ``sending`` (rows still queued or being
    sent) or ``sent`` (every row went, was skipped because the gate refused, or failed)."""

    state: str
    counts: dict[str, int]

    @property
    def pending(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("sending", 0)


def campaign_state(*, campaign: Campaign) -> CampaignState:
    if campaign.status == Campaign.Status.DRAFT:
        state = "scheduled" if campaign.scheduled_for else "draft"
        return CampaignState(state, {})
    counts = campaign_progress(campaign=campaign)
    pending = counts["queued"] + counts["sending"]
    return CampaignState("sending" if pending else "sent", counts)
