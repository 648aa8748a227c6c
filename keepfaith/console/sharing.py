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
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from keepfaith.audit.services import audit_append
from keepfaith.console.access import refused_page, staff_actor, staff_view
from keepfaith.console.forms import day_in_range, day_range_message
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy import phrases as ph
from keepfaith.policy.phrases import join_words
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.sharing.models import PrivacyBudget, ReleaseFormat
from keepfaith.sharing.periods import last_full_month, month_end
from keepfaith.sharing.selectors import release_get, releases_recent
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
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused})
        return None
    else:
        messages.success(
            request,
            _("Released to %(partner)s: %(file)s (%(withheld)d figures withheld).")
            % {"partner": _partner_name(now.policy, release.partner), "file": release.file_name,
               "withheld": release.suppressed},
        )  # fmt: skip
    return redirect("console:sharing")


@enforces("BE-6")
@staff_view(PERMISSION)
def sharing(request: HttpRequest) -> HttpResponse:
    """What each partner receives, a form to release a period, and every release."""
    policy = in_force().policy
    partners = [(p.key, text_in(p.name, get_language())) for p in policy.recipients.partners]
    last = last_full_month(today=dt.date.today())
    initial = {"first_month": f"{last.start:%Y-%m}", "last_month": f"{last.start:%Y-%m}"}
    form = ReleaseForm(request.POST or None, partners=partners, initial=initial)
    refused = False
    if request.method == "POST" and form.is_valid():
        done = _release(request, form)
        if done is not None:
            return done
        refused = True  # the page again, with the form as it was sent
    context = {
        "form": form,
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
