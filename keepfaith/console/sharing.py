"""Console page of partner releases (BE-6): what each partner receives, release a period,
every release so far with its hash, and the download of a release file.

The page shows aggregates and release records only, never customer data, so it is gated by
the action permission ``sharing.release_partner_data`` (privacy officer, administrator); the
gate is asked for the partner and each aggregate on every release and every download, so a
partner or aggregate the policy in force does not name is refused there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from keepfaith.audit.services import audit_append
from keepfaith.console.access import refused_page, staff_actor, staff_view
from keepfaith.console.audit import reason_shown
from keepfaith.console.forms import day_in_range, day_range_message
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy import phrases as ph
from keepfaith.policy.phrases import join_words
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.sharing.models import PartnerRelease, PrivacyBudget, ReleaseFormat
from keepfaith.sharing.periods import Period, last_full_month, month_end
from keepfaith.sharing.selectors import budget_spent, release_get, releases_recent
from keepfaith.sharing.services import (
    ReleaseRefused,
    ReleaseRequest,
    release_create,
    release_delivered,
    release_delivery_refusal,
    release_file_bytes,
    sharing_where,
)

PERMISSION = "sharing.release_partner_data"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month(text: str) -> dt.date:
    match = _MONTH.match(text.strip())
    if match is None:
        raise forms.ValidationError(_("Give a month as YYYY-MM."))
    month = dt.date(max(int(match.group(1)), 1), int(match.group(2)), 1)
    if not day_in_range(month):
        raise forms.ValidationError(day_range_message())
    return month


class ReleaseForm(forms.Form):
    """A release: a partner, whole months from and to, a format."""

    partner = forms.ChoiceField(label=gettext_lazy("Partner"))
    first_month = forms.CharField(label=gettext_lazy("First month (YYYY-MM)"), max_length=7)
    last_month = forms.CharField(label=gettext_lazy("Last month (YYYY-MM)"), max_length=7)
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=ReleaseFormat.choices, initial=ReleaseFormat.CSV
    )
    # The confirmation step's boxes (shown once the release is described; checked here)
    confirm = forms.BooleanField(required=False)
    confirm_again = forms.BooleanField(required=False)

    CONFIRMATIONS = ("confirm", "confirm_again")

    def __init__(self, *args: Any, partners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = partners  # type: ignore[attr-defined]

    def clean_first_month(self) -> dt.date:
        return _month(self.cleaned_data["first_month"])

    def clean_last_month(self) -> dt.date:
        return month_end(_month(self.cleaned_data["last_month"]))

    def clean(self) -> dict[str, Any]:
        """The period's own rules, in the staff member's language (the service says them
        again, in English, for the CLI and the audit log)."""
        data = super().clean() or {}
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and last < first:
            raise forms.ValidationError(_("The last month is before the first month."))
        latest = last_full_month(today=dt.date.today()).start
        if last and last > month_end(latest):
            raise forms.ValidationError(
                _("%(month)s is not over yet: a release covers only months that have ended "
                  "(the latest is %(latest)s).")
                % {"month": f"{last:%Y-%m}", "latest": f"{latest:%Y-%m}"}
            )  # fmt: skip
        return data


def _aggregate_words(keys: Iterable[str]) -> str:
    """Aggregates by their names ("visitors per country"), not their keys."""
    lang = (get_language() or "en")[:2]
    return join_words([ph.word(key, lang) for key in keys], lang)


def _partner_name(policy: Policy, key: str) -> str:
    found = next((p for p in policy.recipients.partners if p.key == key), None)
    return text_in(found.name, get_language()) if found is not None else key


def _partner_rows(policy: Policy) -> list[dict[str, Any]]:
    budgets: dict[str, list[PrivacyBudget]] = {}
    for row in PrivacyBudget.objects.all():
        budgets.setdefault(row.partner, []).append(row)
    return [
        {
            "partner": partner,
            "aggregates": _aggregate_words(partner.aggregates),
            "name": text_in(partner.name, get_language()),
            "dp": partner.differential_privacy,
            "budgets": budgets.get(partner.key, [])[-6:],
        }
        for partner in policy.recipients.partners
    ]


def _period_words(first: dt.date, last: dt.date) -> str:
    """A period as staff read it: "2026-10", or "2026-10" to "2026-11" with an en dash."""
    return (
        f"{first:%Y-%m}"
        if (first.year, first.month) == (last.year, last.month)
        else (f"{first:%Y-%m} \N{EN DASH} {last:%Y-%m}")
    )


def _pending(policy: Policy, data: dict[str, Any]) -> dict[str, Any]:
    """What the release the form asks for would do, for its confirmation: the partner, the
    period, the aggregates, the releases that already covered any of its months, and with
    differential privacy the budget each month has spent and what this release would spend."""
    key, first, last = data["partner"], data["first_month"], data["last_month"]
    spec = next((p for p in policy.recipients.partners if p.key == key), None)
    earlier = list(
        PartnerRelease.objects.filter(
            partner=key, period_start__lte=last, period_end__gte=first
        ).order_by("-created")[:10]
    )
    dp = spec.differential_privacy if spec is not None else None
    months = Period(first, last).months()
    budget = (
        [
            {"month": month, "spent": spent, "after": spent + dp.epsilon_per_release}
            for month, spent in budget_spent(partner=key, months=months).items()
        ]
        if dp is not None
        else []
    )
    return {
        "token": f"{key}:{first:%Y-%m}:{last:%Y-%m}",
        "partner": _partner_name(policy, key),
        "period": _period_words(first, last),
        "aggregates": _aggregate_words(spec.aggregates) if spec is not None else "",
        "earlier": [(r, _period_words(r.period_start, r.period_end)) for r in earlier],
        "dp": dp,
        "budget": budget,
    }


def _unconfirmed(form: ReleaseForm, pending: dict[str, Any], confirmed: str) -> str | None:
    """Why the release may not go yet (None: confirmed): the box that names the partner and
    the period, ticked for this partner and period (``confirmed``: those the boxes were shown
    for), and for a period already released the second box."""
    data = form.cleaned_data
    if confirmed != pending["token"]:
        return _("Nothing was released: check the partner and the period below and confirm.")
    if not data.get("confirm"):
        return _(
            "Nothing was released: tick the box to confirm that %(partner)s receives %(period)s."
        ) % {"partner": pending["partner"], "period": pending["period"]}
    if pending["earlier"] and not data.get("confirm_again"):
        return _(
            "Nothing was released: %(partner)s already received %(period)s. Tick the second "
            "box to release it again."
        ) % {"partner": pending["partner"], "period": pending["period"]}
    return None


def _release(request: HttpRequest, form: ReleaseForm) -> HttpResponse | None:
    """Release what the form asks for; None (the error in the messages) when refused."""
    now = in_force()
    actor = staff_actor(request)
    data = form.cleaned_data
    ask = ReleaseRequest(
        data["partner"], data["first_month"], data["last_month"], data["file_format"]
    )
    try:
        release = release_create(request=ask, policy=now.policy, gate=now.gate(actor=actor),
                                 version=now.label, actor=actor,
                                 where=sharing_where(policy=now.policy))  # fmt: skip
    except ReleaseRefused as refused:
        reason = refused.for_people() or reason_shown(str(refused))
        messages.error(request, _("Refused: %(reason)s") % {"reason": reason})
        return None
    else:
        download = reverse("console:sharing_download", args=[release.pk])
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Released to %(partner)s: %(period)s (%(withheld)d figures withheld).")
                % {"partner": _partner_name(now.policy, release.partner),
                   "period": _period_words(release.period_start, release.period_end),
                   "withheld": release.suppressed},
                download,
                _("Download the file"),
            ),
        )  # fmt: skip
    return redirect("console:sharing")


@enforces("BE-6")
@staff_view(PERMISSION)
def sharing(request: HttpRequest) -> HttpResponse:
    """What each partner receives, a form to release a period, and every release. A release
    goes only once confirmed: the form first describes it (partner, period, aggregates, an
    earlier release of the same months and the budget it would spend) with the boxes to tick,
    and the server refuses it, releasing nothing, while a box is missing."""
    policy = in_force().policy
    partners = [(p.key, text_in(p.name, get_language())) for p in policy.recipients.partners]
    last = last_full_month(today=dt.date.today())
    initial = {"first_month": f"{last.start:%Y-%m}", "last_month": f"{last.start:%Y-%m}"}
    form = ReleaseForm(request.POST or None, partners=partners, initial=initial)
    refused, pending = False, None
    if request.method == "POST" and form.is_valid():
        pending = _pending(policy, form.cleaned_data)
        problem = _unconfirmed(form, pending, request.POST.get("confirmed", ""))
        if problem is None:
            done = _release(request, form)
            if done is not None:
                return done
            refused = True  # the page again, with the form as it was sent
        elif "confirmed" in request.POST:  # the confirmation was shown: a box left out
            messages.error(request, problem)
            refused = True
        else:  # the form sent first: the confirmation below it
            messages.info(request, problem)
    context = {
        "form": form,
        "pending": pending,
        "fields": [f for f in form if f.name not in ReleaseForm.CONFIRMATIONS],
        "partners": _partner_rows(policy),
        "releases": [
            (r, _partner_name(policy, r.partner), _aggregate_words(r.aggregates))
            for r in releases_recent(limit=200)
        ],
    }
    status = 400 if form.errors or refused else 200
    return render(request, "console/sharing.html", context, status=status)


@enforces("BE-6")
@staff_view(PERMISSION)
def sharing_download(request: HttpRequest, release_id: int) -> HttpResponse:
    """The file of one release, if the policy still lets it go and its hash still matches."""
    release = release_get(release_id=release_id)
    if release is None:
        raise Http404("no such release")
    now = in_force()
    actor = staff_actor(request)
    refusal = release_delivery_refusal(
        release=release, policy=now.policy, gate=now.gate(actor=actor)
    )
    body: bytes | None = None
    if refusal is None:
        drop_dir = sharing_where(policy=now.policy).drop_dir
        body = release_file_bytes(release=release, drop_dir=drop_dir)
        if body is None:
            refusal = _("The file is missing or no longer matches its recorded SHA-256.")
    if refusal is not None or body is None:
        audit_append(  # the refusal page says it was recorded: it is
            actor=actor,
            action="sharing.download",
            outcome="refused",
            clauses=("BE-6",),
            detail={"release": release.pk, "partner": release.partner, "reason": str(refusal)},
        )
        return refused_page(request, reason=str(refusal))
    release_delivered(release=release, actor=actor)
    kind = "text/csv" if release.file_format == ReleaseFormat.CSV else "application/json"
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    name = release.file_name.rsplit("/", 1)[-1]
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
