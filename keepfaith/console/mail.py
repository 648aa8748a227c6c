"""Console pages for mail: campaigns (compose, audience size, send, status) and the queue of
received opt-out mail staff must decide (BE-8, BE-9, QS-4)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from keepfaith.comms.models import Campaign, OptOutQueueItem
from keepfaith.comms.receiving import queue_apply, queue_dismiss
from keepfaith.comms.selectors import audience_for, campaign_list, campaign_progress, optout_queue
from keepfaith.comms.services import CampaignError, campaign_create, campaign_queue
from keepfaith.console.access import audited_read, staff_actor, staff_view
from keepfaith.gate.runtime import active_gate

_SEND_CAMPAIGN = "comms.send_campaign"
_SEND_ANNOUNCEMENT = "comms.send_announcement"


class CampaignForm(forms.Form):
    kind = forms.ChoiceField()
    subject = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea)
    html = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args: object, kinds: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [(k, k) for k in kinds]  # type: ignore[attr-defined]


def _kinds(request: HttpRequest) -> list[str]:
    """Kinds this person may send: marketing with send_campaign, service with announce."""
    gate = active_gate(actor=staff_actor(request))
    user = request.user
    return sorted(
        key
        for key, rule in gate.rulebook.mail_kinds.items()
        if key != "transactional"
        and user.has_perm(
            "comms.send_campaign" if rule.unsubscribable else "comms.send_announcement"
        )
    )


@staff_view("comms.send_campaign")
def campaigns(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request)
    form = CampaignForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                kind=form.cleaned_data["kind"],
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                html=form.cleaned_data["html"],
                actor=staff_actor(request),
            )
        except CampaignError as error:
            form.add_error(None, str(error))
        else:
            return redirect("console:campaign", campaign_id=campaign.pk)
    rows = list(campaign_list()[:100])
    return render(request, "console/campaigns.html", {"form": form, "campaigns": rows})


@staff_view("comms.send_campaign")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    gate = active_gate(actor=staff_actor(request))
    rule = gate.mail_kind(campaign.kind)
    may_send = campaign.kind in _kinds(request)
    if request.method == "POST" and may_send and campaign.status == Campaign.Status.DRAFT:
        campaign_queue(campaign_id=campaign.pk, actor=staff_actor(request))
        return redirect("console:campaign", campaign_id=campaign.pk)
    size = audience_for(kind=campaign.kind, gate=gate).count()  # a count: no personal data
    context = {
        "campaign": campaign,
        "rule": rule,
        "audience_size": size,
        "progress": campaign_progress(campaign=campaign),
        "may_send": may_send,
    }
    return render(request, "console/campaign.html", context)


@staff_view("comms.handle_optout_queue")
@audited_read(
    "console.mail.queue",
    categories=["user.contact.email"],
    use="marketing.communications.email",
    clauses=["BE-9", "QS-4"],
)
def mail_queue(request: HttpRequest) -> HttpResponse:
    items = list(optout_queue(open_only=request.GET.get("all") != "1")[:200])
    request.audited_subjects.extend(  # type: ignore[attr-defined]
        sorted({i.resolved_customer for i in items if i.resolved_customer})
    )
    return render(request, "console/mail_queue.html", {"items": items})


@staff_view("comms.handle_optout_queue")
@require_POST
def mail_queue_resolve(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(OptOutQueueItem, pk=item_id)
    note = request.POST.get("note", "")
    try:
        if request.POST.get("decision") == "apply":
            queue_apply(
                item_id=item.pk,
                customer=request.POST.get("customer", "").strip(),
                kinds=None,
                actor=staff_actor(request),
                note=note,
            )
        else:
            queue_dismiss(item_id=item.pk, actor=staff_actor(request), note=note)
    except ValueError as error:
        items = list(optout_queue()[:200])
        return render(
            request, "console/mail_queue.html", {"items": items, "error": str(error)}, status=400
        )
    return redirect("console:mail_queue")
