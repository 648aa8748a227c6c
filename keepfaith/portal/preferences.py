"""Communication preferences: every mail kind of the policy with its state (BE-8, BE-9, QS-4).

Marketing kinds show the customer's current choice from the consent ledger (on exactly when
the gate would let the kind reach them) and a switch (when the use is a portal preference).
Each switch also sends the state it showed; the consent service records an event only for a
switch the customer moved. Mail that cannot be declined (service announcements,
transactional mail) is shown as always on, with the reason the policy gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keepfaith.accounts.selectors import customer_subject
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.consent.answers import Answer, answers_record, shown_on
from keepfaith.consent.selectors import current_choices, is_restricted
from keepfaith.consent.services import consent_form_hash
from keepfaith.gate.choices import ChoiceState
from keepfaith.inforce import in_force
from keepfaith.policy import Policy
from keepfaith.policy.jurisdiction import answer_required
from keepfaith.policy.schema import MailKind
from keepfaith.policy.trace import enforces

FIELD_PREFIX = "use:"
SHOWN_PREFIX = "shown:"


@dataclass(frozen=True)
class MailPreference:
    """One mail kind as the customer sees it."""

    kind: str
    description: str
    use: str
    use_name: str
    choice: str
    always_on: bool
    reason: str
    on: bool
    switch: bool  # the customer can change it here

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.use

    @property
    def shown_field(self) -> str:
        return SHOWN_PREFIX + self.field


def _row(
    policy: Policy, kind: MailKind, states: dict[str, ChoiceState], lang: str
) -> MailPreference:
    use = policy.use_by_key(kind.use)
    text = kind.description.get(lang, kind.description["en"])
    if use is None or use.choice == "none" or not kind.unsubscribe:
        reason = use.description.get(lang, use.description["en"]) if use else ""
        name = use.name.get(lang, use.name["en"]) if use else kind.use
        return MailPreference(kind.key, text, kind.use, name, "none", True, reason, True, False)
    return MailPreference(
        kind=kind.key,
        description=text,
        use=use.key,
        use_name=use.name.get(lang, use.name["en"]),
        choice=use.choice,
        always_on=False,
        reason="",
        on=shown_on(
            use.choice,
            states.get(use.key),
            answer_required=answer_required(use.choice, country=policy.controller.jurisdiction),
        ),
        switch=use.portal_preference,
    )


@enforces("BE-8", "BE-9", "QS-4")
def mail_preferences(*, policy: Policy, subject: str, lang: str) -> list[MailPreference]:
    """Every mail kind of the policy with the subject's current state."""
    states = current_choices(subject=subject)
    return [_row(policy, kind, states, lang) for kind in policy.mail_kinds]


def preference_answers(rows: list[MailPreference], posted: QueryDict) -> list[Answer]:
    """One answer per switch: the state it showed (sent back with the form) and whether it
    came back ticked. A client that does not send the shown state told us nothing about a
    switch it leaves out (untouched); one it sends ticked is compared with the current state."""
    answers: dict[str, Answer] = {}
    for row in rows:
        if not row.switch or row.use in answers:
            continue
        ticked = row.field in posted
        shown = posted.get(row.shown_field)
        untold = row.on if ticked else ticked
        was_on = shown == "on" if shown in ("on", "off") else untold
        answers[row.use] = Answer(row.use, row.choice, was_on, ticked)
    return list(answers.values())


@enforces("BE-8", "BE-9", "QS-4", features=("choices.portal-preferences",))
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    subject = customer_subject(request.user)
    if subject is None:
        raise Http404("the account pages are for customers")
    now = in_force()
    lang = now.language(get_language())
    rows = mail_preferences(policy=now.policy, subject=subject, lang=lang)
    shown = render_to_string("portal/_preferences_rows.html", {"rows": rows})
    if request.method == "POST":
        events = answers_record(
            subject=subject,
            answers=preference_answers(rows, request.POST),
            source="portal",
            policy=now.policy,
            version=now.version,
            evidence={"form": "account/preferences", "form_hash": consent_form_hash(shown=shown)},
            actor=Actor(ActorKind.CUSTOMER, subject),
        )
        messages.success(
            request, _("Your preferences are saved.") if events else _("Nothing changed.")
        )
        return redirect("portal:preferences")
    context = {
        "rows": rows,
        "rows_html": shown,
        "opt_out_email": now.policy.controller.opt_out_email,
        "restricted": any(now.rulebook.restriction_refuses(row.use) for row in rows)
        and is_restricted(subject=subject),
    }
    return render(request, "portal/preferences.html", context)
