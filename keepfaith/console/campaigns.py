"""Campaigns in the console, for marketing (BE-8, QS-4): write and edit a draft, preview it
as a recipient would see it in each language, send a test to oneself, schedule it, delete it,
and send it to everyone after a confirmation that names the audience size. Its state follows
the outbox to "sent".

A preview "as a recipient" asks the gate whether that customer is in the kind's audience (an
audited decision about them) and shows the message in their language; it shows nothing else
about them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from keepfaith.accounts.selectors import customer_by_number
from keepfaith.audit.services import Actor
from keepfaith.comms.campaigns import (
    campaign_delete,
    campaign_missing_languages,
    campaign_render,
    campaign_schedule,
    campaign_state,
    campaign_test_send,
    campaign_update,
)
from keepfaith.comms.models import Campaign
from keepfaith.comms.results import campaign_results
from keepfaith.comms.selectors import audience_for, campaign_list
from keepfaith.comms.services import (
    CampaignError,
    campaign_create,
    campaign_queue,
    language_name,
)
from keepfaith.console import reads
from keepfaith.console.access import may_read, staff_actor, staff_view, subject_read
from keepfaith.gate import Gate
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.store.selectors import customers_with_active_service

SEND = "comms.send_campaign"
ANNOUNCE = "comms.send_announcement"
STATE_WORDS = {
    "draft": gettext_lazy("draft"),
    "scheduled": gettext_lazy("scheduled"),
    "sending": gettext_lazy("sending"),
    "sent": gettext_lazy("sent"),
}

RESULT_DAYS = 90  # the measurement cookie's lifetime in the examples


class CampaignForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of mail"))
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    html = forms.CharField(
        label=gettext_lazy("HTML (optional)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )

    def __init__(
        self, *args: Any, kinds: list[tuple[str, str]], others: Sequence[str] = (), **kwargs: Any
    ) -> None:
        """``others``: the policy's languages after its first, each with its own subject,
        text and HTML fields (optional: a language left empty gets the first one's text)."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.others = tuple(others)
        for lang in self.others:
            name = language_name(lang)
            self.fields[f"subject_{lang}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
            )
            self.fields[f"text_{lang}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 10}),
                required=False,
            )
            self.fields[f"html_{lang}"] = forms.CharField(
                label=_("HTML (%(language)s, optional)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 6}),
                required=False,
            )

    def versions(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Each other language's name and fields, for the template."""
        return [
            (language_name(lang), [self[f"{part}_{lang}"] for part in ("subject", "text", "html")])
            for lang in self.others
        ]

    def message(self) -> dict[str, Any]:
        """The service's keyword arguments: the first language's words and the others'."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "text": data["text"],
            "html": data["html"],
            "translations": {
                lang: {part: data[f"{part}_{lang}"] for part in ("subject", "text", "html")}
                for lang in self.others
            },
        }


def _others() -> tuple[str, ...]:
    """The policy's languages after its first: the campaign's other versions."""
    return tuple(in_force().policy.controller.languages[1:])


def _initial(campaign: Campaign) -> dict[str, Any]:
    initial = {
        "kind": campaign.kind,
        "subject": campaign.subject,
        "text": campaign.text_body,
        "html": campaign.html_body,
    }
    for lang, words in (campaign.translations or {}).items():
        for part in ("subject", "text", "html"):
            initial[f"{part}_{lang}"] = words.get(part, "")
    return initial


class ScheduleForm(forms.Form):
    """When to send: a time where the console shows times (the company's time zone)."""

    at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    confirm = forms.BooleanField(required=True)

    def __init__(self, *args: Any, audience_size: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["at"].label = _("Send at (%(zone)s)") % {"zone": zone}
        # Scheduling sends to everyone at that time: the same "yes" as sending now asks.
        self.fields["confirm"].label = ngettext(
            "Send it then to everyone in its audience (%(count)d customer now)",
            "Send it then to everyone in its audience (%(count)d customers now)",
            audience_size,
        ) % {"count": audience_size}
        self.fields["confirm"].error_messages["required"] = _(
            "Nothing was scheduled: tick the box to send it to everyone at that time."
        )


def kind_label(kind: str) -> str:
    """A mail kind as the policy describes it, in the reader's language (never its key)."""
    for entry in in_force().policy.mail_kinds:
        if entry.key == kind and entry.description:
            lang = get_language() or "en"
            text = entry.description.get(lang[:2]) or entry.description.get("en") or kind
            return text.rstrip(".")
    return kind.replace("_", " ").capitalize()


def _kinds(request: HttpRequest, gate: Gate) -> list[tuple[str, str]]:
    """Kinds this person may send: marketing with send_campaign, service with announce."""
    user = request.user
    kinds = gate.rulebook.mail_kinds.items()
    return sorted(
        (key, kind_label(key))
        for key, rule in kinds
        if key != "transactional" and user.has_perm(SEND if rule.unsubscribable else ANNOUNCE)
    )


def _audience_size(campaign: Campaign, gate: Gate) -> int:
    """How many customers the campaign reaches now (a count: no personal data)."""
    active = customers_with_active_service()
    return audience_for(kind=campaign.kind, gate=gate, active_service=active).count()


@staff_view(SEND)
def campaigns(request: HttpRequest) -> HttpResponse:
    gate = in_force().gate(actor=staff_actor(request))
    form = CampaignForm(request.POST or None, kinds=_kinds(request, gate), others=_others())
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(**form.message(), actor=staff_actor(request), gate=gate)
        except CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Draft saved."))
            return redirect("console:campaign", campaign_id=campaign.pk)
    rows = [
        (c, kind_label(c.kind), campaign_state(campaign=c).state) for c in campaign_list()[:100]
    ]
    context = {
        "form": form,
        "campaigns": rows,
        "state_words": STATE_WORDS,
        "results": campaign_results(days=RESULT_DAYS),
        "result_days": RESULT_DAYS,
    }
    return render(request, "console/campaigns.html", context)


def _detail_context(request: HttpRequest, campaign: Campaign, gate: Gate) -> dict[str, Any]:
    state = campaign_state(campaign=campaign)
    languages = in_force().policy.controller.languages
    missing = campaign_missing_languages(campaign=campaign, languages=languages)
    size = _audience_size(campaign, gate)
    return {
        "campaign": campaign,
        "kind": kind_label(campaign.kind),
        "state": state,
        "state_word": STATE_WORDS[state.state],
        "audience_size": size,
        "may_send": campaign.kind in dict(_kinds(request, gate)),
        "form": CampaignForm(
            initial=_initial(campaign), kinds=_kinds(request, gate), others=_others()
        ),
        "missing_languages": [language_name(lang) for lang in missing],
        "first_language": language_name(languages[0]),
        "schedule_form": ScheduleForm(
            initial={"at": campaign.scheduled_for or timezone.now() + dt.timedelta(days=1)},
            audience_size=size,
        ),
        "languages": in_force().policy.controller.languages,
    }


@staff_view(SEND)
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    gate = in_force().gate(actor=staff_actor(request))
    context = _detail_context(request, campaign, gate)
    if request.method == "POST" and campaign.status == Campaign.Status.DRAFT:
        form = CampaignForm(request.POST, kinds=_kinds(request, gate), others=_others())
        context["form"] = form
        if form.is_valid():
            try:
                campaign_update(campaign_id=campaign.pk, gate=gate, **form.message())
            except CampaignError as error:
                form.add_error(None, str(error))
            else:
                if campaign.scheduled_for is not None:
                    messages.success(
                        request,
                        _("Draft saved. It is no longer scheduled: schedule it again when it "
                          "is ready."),
                    )  # fmt: skip
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("console:campaign", campaign_id=campaign.pk)
    return render(request, "console/campaign.html", context)


@enforces("BE-8")
@staff_view(SEND)
def campaign_preview(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The message in each language; with ``recipient`` (a customer number), whether the
    gate lets the campaign reach that customer and the language they would read it in."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    now = in_force()
    gate = now.gate(actor=staff_actor(request))
    number = request.GET.get("recipient", "").strip()[:16]
    recipient: dict[str, Any] | None = None
    may_see_choices = may_read(request, reads.CONSENT_HISTORY)
    if number and not may_see_choices:
        messages.error(
            request,
            _(
                "Whether one customer gets a campaign follows from their choices, which the "
                "policy does not open to your role; the confirm page gives the audience's size."
            ),
        )
    elif number:
        # one customer's place in the audience is their consent state: a read of it (QS-3)
        customer = customer_by_number(number=number)
        if customer is None:
            messages.error(request, _("There is no customer with that number."))
        elif not subject_read(request, reads.CONSENT_HISTORY, subject=customer.subject_ref):
            messages.error(request, _("This customer's choices are not open to your role."))
        else:
            rule = gate.mail_kind(campaign.kind)
            decision = gate.check(
                use=rule.use,
                categories=("user.contact.email",),
                subject=customer.subject_ref,
                purpose_context=f"campaign preview:{campaign.pk}",
            )
            recipient = {
                "number": customer.customer_number,
                "in_audience": decision.allowed,
                "language": now.language(customer.language),
            }
    languages = list(now.policy.controller.languages)
    if recipient is not None:
        languages.sort(key=lambda lang: lang != recipient["language"])
    previews = [
        (lang, campaign_render(campaign=campaign, gate=gate, language=lang)) for lang in languages
    ]
    # a language written without an HTML part is sent as text only: said, not an empty frame
    html_in = {lang for lang in languages if campaign.words(lang)[2].strip()}
    context = {
        "campaign": campaign,
        "previews": previews,
        "html_in": html_in,
        "recipient": recipient,
        "may_see_choices": may_see_choices,
    }
    return render(request, "console/campaign_preview.html", context)


@staff_view(SEND)
def campaign_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Test to oneself, schedule, unschedule or delete a draft."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if request.method != "POST":  # the forms' address opened: the campaign's page
        return redirect("console:campaign", campaign_id=campaign.pk)
    now = in_force()
    gate = now.gate(actor=staff_actor(request))
    actor = staff_actor(request)
    action = request.POST.get("action", "")
    try:
        if action == "test":
            language = now.language(request.POST.get("language") or None)
            address = actor.ref  # the staff member's own e-mail
            campaign_test_send(
                campaign=campaign, gate=gate, to=address, language=language, actor=actor
            )
            messages.success(
                request, _("A test is on its way to %(address)s.") % {"address": address}
            )
        elif action == "schedule":
            return _schedule(request, campaign, gate, actor)
        elif action == "unschedule":
            campaign_schedule(campaign_id=campaign.pk, at=None, actor=actor)
            messages.success(request, _("No longer scheduled: the campaign is a draft again."))
        elif action == "delete":
            campaign_delete(campaign_id=campaign.pk, actor=actor)
            messages.success(request, _("Draft deleted."))
            return redirect("console:campaigns")
        else:
            raise CampaignError(_("Unknown action."))
    except CampaignError as error:
        messages.error(request, str(error))
    return redirect("console:campaign", campaign_id=campaign.pk)


def _schedule(request: HttpRequest, campaign: Campaign, gate: Gate, actor: Actor) -> HttpResponse:
    """Schedule the draft, or show its page again with what was typed and what is wrong."""
    form = ScheduleForm(request.POST, audience_size=_audience_size(campaign, gate))
    if form.is_valid():
        try:
            campaign_schedule(campaign_id=campaign.pk, at=form.cleaned_data["at"], actor=actor)
        except CampaignError as error:
            form.add_error("at", str(error))
        else:
            messages.success(request, _("Scheduled."))
            return redirect("console:campaign", campaign_id=campaign.pk)
    context = {**_detail_context(request, campaign, gate), "schedule_form": form}
    return render(request, "console/campaign.html", context, status=400)


@enforces("BE-8", "QS-4")
@staff_view(SEND)
def campaign_confirm(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Before sending to everyone: how many customers it reaches; the POST queues it."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    now = in_force()
    gate = now.gate(actor=staff_actor(request))
    if campaign.kind not in dict(_kinds(request, gate)):
        return redirect("console:campaign", campaign_id=campaign.pk)
    size = _audience_size(campaign, gate)
    if request.method == "POST" and campaign.status == Campaign.Status.DRAFT:
        if request.POST.get("audience_size") != str(size):
            messages.error(request, _("The audience changed meanwhile: check the number again."))
        elif size == 0:
            messages.error(request, _("Nobody is in the audience now: there is nothing to send."))
        else:
            campaign_queue(
                campaign_id=campaign.pk,
                actor=staff_actor(request),
                gate=gate,
                language=now.language(None),
                active_service=customers_with_active_service(),
            )
            messages.success(request, _("Queued: the messages are going out."))
            return redirect("console:campaign", campaign_id=campaign.pk)
    context = {"campaign": campaign, "kind": kind_label(campaign.kind), "audience_size": size}
    return render(request, "console/campaign_confirm.html", context)
