"""The customer's consent pages: history, receipts (page and JSON), and the renew form.

A customer sees only their own ledger events; any other event id is a 404, whoever asks
(SITE-1). The renew form asks yes/no for each use a new policy version needs fresh consent
for (BE-11); the consent service records each answer (a question without a default, so every
answer is a first answer) with source ``portal`` and the version in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keepfaith.accounts.models import User
from keepfaith.accounts.selectors import customer_subject
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.consent import words
from keepfaith.consent.answers import Answer, answers_record
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import (
    consent_event_of,
    consent_history,
    consent_receipt,
    current_choices,
)
from keepfaith.consent.services import consent_form_hash
from keepfaith.cookies.consent import visitor_consent
from keepfaith.inforce import in_force, policy_of
from keepfaith.policy import Policy
from keepfaith.policy.phrases import category_name, join_words, retention_text
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.portal.reconsent import SESSION_FLAG, reconsent_required
from keepfaith.store.renewals import automatic_orders, renewal_rules


def _subject(request: HttpRequest) -> str:
    subject = customer_subject(request.user)
    if subject is None:
        raise Http404("the consent pages are for customers")
    return subject


def _receipt_of(event: ConsentEvent) -> dict[str, object]:
    """The receipt of ``event`` under the policy version it names (else the one in force)."""
    now = in_force()
    policy = policy_of(event.policy_version) if event.policy_version else now.policy
    return consent_receipt(event=event, policy=policy, lang=now.language(get_language()))


@login_required
def consent_list(request: HttpRequest) -> HttpResponse:
    """The customer's current choices and every consent event, with links to receipts."""
    subject = _subject(request)
    policy = in_force().policy
    automatic = renewal_rules(policy).automatic_use
    choices = [
        (
            _choice_words(policy, key, cast(User, request.user))
            if key == automatic
            else words.choice_name(policy, key),
            words.status_word(state.status, key),
            state,
        )
        for key, state in sorted(current_choices(subject=subject).items())
    ]
    events = [
        (
            e,
            words.event_word(e.event, e.key),
            words.choice_name(policy, e.key),
            words.source_word(policy, e.source),
        )
        for e in consent_history(subject=subject)[:500]
    ]
    context = {"choices": choices, "events": events, "browser": _browser_cookies(request)}
    return render(request, "portal/consent_list.html", context)


def _choice_words(policy: Policy, key: str, customer: User) -> str:
    """Automatic renewal is chosen per service: its name, then the orders it is on for."""
    numbers = automatic_orders(customer=customer)
    name = words.choice_name(policy, key)
    if not numbers:
        return name
    said = ngettext("%(name)s (order %(orders)s)", "%(name)s (orders %(orders)s)", len(numbers))
    return said % {"name": name, "orders": ", ".join(numbers)}


def _browser_cookies(request: HttpRequest) -> dict[str, object] | None:
    """The cookie choice of this browser, which the cookie banner keeps in the browser (not
    in the ledger above, so it may differ between browsers and from a choice recorded here)."""
    consent = visitor_consent(request)
    if consent is None or consent.choice is None:
        return None
    policy, lang = consent.policy, (get_language() or "en")[:2]
    accepted = [
        text_in(use.name, lang)
        for purpose in consent.registry.purposes
        if purpose.key in consent.accepted and (use := policy.use_by_key(purpose.key))
    ]
    return {"accepted": join_words(accepted, lang)}


@enforces("SITE-1")
@login_required
def consent_receipt_page(request: HttpRequest, receipt_ref: str) -> HttpResponse:
    """The receipt of one of the customer's own consent events, readable: every key, code
    and list of the JSON receipt in the policy's words, in the page's language."""
    event = consent_event_of(subject=_subject(request), receipt_ref=receipt_ref)
    if event is None:
        raise Http404("no such consent event")
    receipt = _receipt_of(event)
    policy = policy_of(event.policy_version) if event.policy_version else in_force().policy
    context = {"event": event, "receipt": receipt, "words": _receipt_words(event, receipt, policy)}
    return render(request, "portal/consent_receipt.html", context)


_RECORDED_BY: dict[str, Any] = {
    ActorKind.CUSTOMER: gettext_lazy("You"),
    ActorKind.STAFF: gettext_lazy("Our staff, at your request"),
    ActorKind.SYSTEM: gettext_lazy("Our systems"),
}


def _receipt_words(event: ConsentEvent, receipt: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """What the readable receipt shows, in words."""
    lang = (get_language() or "en")[:2]
    declared = {c.key: text_in(c.name, lang) for c in policy.taxonomy.data_categories}

    def data(keys: list[str]) -> str:
        return join_words([category_name(key, lang, declared=declared) for key in keys], lang)

    state = receipt["keepfaith"]["state"]
    purposes = [
        {
            "text": p["purpose"],
            "uses": join_words(
                [words.choice_name(policy, key) for key in p["purposeCategory"]], lang
            ),
            "data": data(p["piiCategory"]),
            "kept": retention_text(p["termination"], lang) if p.get("termination") else "",
            "given_to": p.get("thirdPartyName", "") if p.get("thirdPartyDisclosure") else "",
        }
        for service in receipt["services"]
        for p in service["purposes"]
    ]
    shown = event.evidence.get("notice_categories") if isinstance(event.evidence, dict) else None
    return {
        "what": f"{words.event_word(event.event, event.key)}: "
        f"{words.choice_name(policy, event.key)}",
        "state": words.status_word(state, event.key) if state else "",
        "how": words.source_word(policy, event.source),
        "recorded_by": _RECORDED_BY.get(str(event.actor_kind)) or _RECORDED_BY[ActorKind.SYSTEM],
        "purposes": purposes,
        "shown": data(list(shown)) if isinstance(shown, list) and shown else "",
    }


@enforces("SITE-1")
@login_required
def consent_receipt_json(request: HttpRequest, receipt_ref: str) -> JsonResponse:
    """The receipt of one of the customer's own consent events, as JSON."""
    event = consent_event_of(subject=_subject(request), receipt_ref=receipt_ref)
    if event is None:
        raise Http404("no such consent event")
    response = JsonResponse(_receipt_of(event))
    response["Content-Disposition"] = f'inline; filename="consent-receipt-{event.receipt_ref}.json"'
    return response


YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Question:
    key: str
    name: str
    description: str
    field: str


def _questions(policy: Policy, keys: list[str], lang: str) -> list[Question]:
    """The questions, each answered in a field named after its use (never by position, so a
    stale form cannot put an answer on the wrong use)."""
    found = []
    for key in keys:
        use = policy.use_by_key(key)
        if use is not None:
            name, text = text_in(use.name, lang), text_in(use.choice_text, lang)
            found.append(Question(key, name, text, f"use:{key}"))
    return found


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("portal:account")


@enforces("BE-11")
@login_required
@require_http_methods(["GET", "POST"])
def consent_renew(request: HttpRequest) -> HttpResponse:
    """Yes or no for each use the policy in force needs fresh consent for."""
    subject = _subject(request)
    request.session.pop(SESSION_FLAG, None)
    now = in_force()
    questions = _questions(
        now.policy, reconsent_required(request.user), now.language(get_language())
    )
    next_url = _next_url(request)
    if not questions:
        return redirect(next_url)
    shown = render_to_string("portal/_renew_questions.html", {"questions": questions})
    if request.method == "POST":
        answered = [
            Answer(q.key, "opt-in", False, request.POST[q.field] == "yes")
            for q in questions
            if request.POST.get(q.field) in YES_NO
        ]
        if answered:
            answers_record(
                subject=subject,
                answers=answered,
                first_answer=True,
                source="portal",
                policy=now.policy,
                version=now.version,
                evidence={
                    "form": "account/consent/renew",
                    "form_hash": consent_form_hash(shown=shown),
                },
                actor=Actor(ActorKind.CUSTOMER, subject),
            )
            messages.success(request, _("Thank you: your answers are recorded."))
        if len(answered) == len(questions):
            return redirect(next_url)
    context = {"questions_html": shown, "next": next_url, "version": now.version}
    return render(request, "portal/consent_renew.html", context)
