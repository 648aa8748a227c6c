"""Communication preferences: every mail kind of the policy with its state (BE-8, BE-9, QS-4).

Marketing kinds show the customer's current choice from the consent ledger and a switch
(when the use is a portal preference); a change is a ledger event with source ``portal``.
Mail that cannot be declined (service announcements, transactional mail) is shown as always
on, with the reason the policy gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from keepfaith.consent.selectors import current_choices
from keepfaith.gate.choices import ChoiceState, ChoiceStatus
from keepfaith.policy import Policy
from keepfaith.policy.schema import MailKind
from keepfaith.policy.trace import enforces
from keepfaith.portal.consent import portal_choices_record
from keepfaith.portal.reconsent import customer_number_of
from keepfaith.versions.selectors import active_policy

FIELD_PREFIX = "use:"


@dataclass(frozen=True)
class MailPreference:
    """One mail kind as the customer sees it."""

    kind: str
    description: str
    use: str
    use_name: str
    always_on: bool
    reason: str
    on: bool
    switch: bool  # the customer can change it here

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.use


def _is_on(choice: str, state: ChoiceState | None) -> bool:
    status = state.status if state is not None else ChoiceStatus.NOT_ASKED
    if choice == "opt-in":
        return status == ChoiceStatus.GIVEN
    return status not in (ChoiceStatus.OPTED_OUT, ChoiceStatus.WITHDRAWN)


def _row(
    policy: Policy, kind: MailKind, states: dict[str, ChoiceState], lang: str
) -> MailPreference:
    use = policy.use_by_key(kind.use)
    text = kind.description.get(lang, kind.description["en"])
    if use is None or use.choice == "none" or not kind.unsubscribe:
        reason = use.description.get(lang, use.description["en"]) if use else ""
        name = use.name.get(lang, use.name["en"]) if use else kind.use
        return MailPreference(kind.key, text, kind.use, name, True, reason, True, False)
    return MailPreference(
        kind=kind.key,
        description=text,
        use=use.key,
        use_name=use.name.get(lang, use.name["en"]),
        always_on=False,
        reason="",
        on=_is_on(use.choice, states.get(use.key)),
        switch=use.portal_preference,
    )


@enforces("BE-8", "BE-9", "QS-4")
def mail_preferences(*, policy: Policy, subject: str, lang: str) -> list[MailPreference]:
    """Every mail kind of the policy with the subject's current state."""
    states = current_choices(subject=subject)
    return [_row(policy, kind, states, lang) for kind in policy.mail_kinds]


def _changes(rows: list[MailPreference], posted: set[str]) -> dict[str, str]:
    policy, _ = active_policy()
    changes: dict[str, str] = {}
    for row in rows:
        use = policy.use_by_key(row.use)
        if not row.switch or use is None or row.use in changes:
            continue
        wanted = row.field in posted
        if wanted and not row.on:
            changes[row.use] = "given" if use.choice == "opt-in" else "opted-in"
        elif row.on and not wanted:
            changes[row.use] = "withdrawn" if use.choice == "opt-in" else "opted-out"
    return changes


@enforces("BE-8", "BE-9", "QS-4")
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    subject = customer_number_of(request.user)
    if subject is None:
        raise Http404("the account pages are for customers")
    policy, version = active_policy()
    lang = (get_language() or "en")[:2]
    lang = lang if lang in policy.controller.languages else policy.controller.languages[0]
    rows = mail_preferences(policy=policy, subject=subject, lang=lang)
    shown = render_to_string("portal/_preferences_rows.html", {"rows": rows})
    if request.method == "POST":
        posted = {key for key in request.POST if key.startswith(FIELD_PREFIX)}
        changes = _changes(rows, posted)
        if changes:
            portal_choices_record(
                subject=subject,
                changes=changes,
                version=version,
                form="account/preferences",
                shown=shown,
            )
        messages.success(request, "Your preferences are saved." if changes else "Nothing changed.")
        return redirect("portal:preferences")
    context = {"rows": rows, "rows_html": shown, "opt_out_email": policy.controller.opt_out_email}
    return render(request, "portal/preferences.html", context)
