"""The customer's consent pages: history, receipts (page and JSON), and the renew form.

A customer sees only their own ledger events; any other event id is a 404, whoever asks
(SITE-1). The renew form asks yes/no for each use a new policy version needs fresh consent
for (BE-11); each answer is a ledger event with source ``portal`` and the version in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.consent.selectors import (
    consent_event_of,
    consent_history,
    consent_receipt,
    current_choices,
)
from keepfaith.consent.services import consent_form_hash, consent_record_many
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.portal.reconsent import SESSION_FLAG, customer_number_of, reconsent_required
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import active_policy


def portal_choices_record(
    *,
    subject: str,
    changes: Mapping[str, str],
    version: PolicyVersion | None,
    form: str,
    shown: str,
) -> None:
    """A customer's own answers on a portal page: one ledger transaction, source ``portal``,
    with the hash of the questions exactly as they were shown."""
    consent_record_many(
        subject=subject,
        changes=changes,
        source="portal",
        policy_version=version,
        evidence={"form": form, "form_hash": consent_form_hash(shown=shown)},
        actor=Actor(ActorKind.CUSTOMER, subject),
    )


def _subject(request: HttpRequest) -> str:
    subject = customer_number_of(request.user)
    if subject is None:
        raise Http404("the consent pages are for customers")
    return subject


def _lang(policy: Policy) -> str:
    lang = get_language() or "en"
    return lang if lang in policy.controller.languages else policy.controller.languages[0]


@login_required
def consent_list(request: HttpRequest) -> HttpResponse:
    """The customer's current choices and every consent event, with links to receipts."""
    subject = _subject(request)
    choices = sorted(current_choices(subject=subject).items())
    return render(
        request,
        "portal/consent_list.html",
        {"choices": choices, "events": consent_history(subject=subject)[:500]},
    )


@enforces("SITE-1")
@login_required
def consent_receipt_page(request: HttpRequest, event_id: int) -> HttpResponse:
    """The receipt of one of the customer's own consent events, readable."""
    event = consent_event_of(subject=_subject(request), event_id=event_id)
    if event is None:
        raise Http404("no such consent event")
    receipt = consent_receipt(event=event, lang=get_language() or "en")
    return render(request, "portal/consent_receipt.html", {"event": event, "receipt": receipt})


@enforces("SITE-1")
@login_required
def consent_receipt_json(request: HttpRequest, event_id: int) -> JsonResponse:
    """The receipt of one of the customer's own consent events, as JSON."""
    event = consent_event_of(subject=_subject(request), event_id=event_id)
    if event is None:
        raise Http404("no such consent event")
    response = JsonResponse(consent_receipt(event=event, lang=get_language() or "en"))
    response["Content-Disposition"] = f'inline; filename="consent-receipt-{event.seq}.json"'
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
            name, text = use.name, use.description
            found.append(Question(key, name.get(lang, key), text.get(lang, ""), f"use:{key}"))
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
    policy, version = active_policy()
    lang = _lang(policy)
    questions = _questions(policy, reconsent_required(request.user), lang)
    next_url = _next_url(request)
    if not questions:
        return redirect(next_url)
    shown = render_to_string("portal/_renew_questions.html", {"questions": questions})
    if request.method == "POST":
        answers = {q.key: request.POST.get(q.field) for q in questions}
        changes = {key: _event_for(subject, key, a) for key, a in answers.items() if a in YES_NO}
        if changes:
            portal_choices_record(
                subject=subject,
                changes=changes,
                version=version,
                form="account/consent/renew",
                shown=shown,
            )
            messages.success(request, "Thank you: your answers are recorded.")
        if len(changes) == len(questions):
            return redirect(next_url)
    context = {"questions_html": shown, "next": next_url, "version": version}
    return render(request, "portal/consent_renew.html", context)


def _event_for(subject: str, key: str, answer: str | None) -> str:
    """Yes gives consent; no withdraws an earlier consent, or opts out when there was none."""
    if answer == "yes":
        return "given"
    agreed_before = (
        consent_history(subject=subject).filter(key=key, event__in=("given", "opted-in")).exists()
    )
    return "withdrawn" if agreed_before else "opted-out"
