"""One-click unsubscribe (BE-8, BE-9, QS-4; RFC 2369, RFC 8058): ``/unsubscribe/<token>/``.

Rules kept here:

- ``POST`` with ``List-Unsubscribe=One-Click`` (urlencoded or multipart) opts the token's
  recipient out of the token's kind: no login, no cookie, no redirect, answer 200, and the
  same request twice changes nothing more. Ledger source ``one-click``.
- ``GET`` never changes anything (mail scanners follow links): it shows a page with a button
  for this kind and one for all marketing; those buttons post ``scope`` (source ``web``).
  The form needs no CSRF cookie: the signed token in the URL is what binds it.
- The opt-out is in the ledger before the answer, so the next send already skips them.
- The page speaks the company's words: the mail's name from the policy (never its key), the
  trading name, and "already unsubscribed" when the ledger says so.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from keepfaith.accounts.selectors import customer_language
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.selectors import optout_addresses
from keepfaith.comms.services import optout_record, unsubscribe_claim
from keepfaith.comms.unsubscribe import InvalidToken, UnsubscribeClaim, is_one_click_body
from keepfaith.consent.selectors import LedgerChoices
from keepfaith.gate.choices import use_applies
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.portal.context_processors import policy_text

TEMPLATE = "portal/unsubscribe.html"


def _opt_out(claim: UnsubscribeClaim, *, everything: bool, source: str) -> list[str]:
    now = in_force()
    return optout_record(
        subject=claim.subject_ref,
        kinds=None if everything else [claim.kind],
        source=source,
        evidence={
            "kind": claim.kind,
            "scope": "all" if everything else "kind",
            "token_key": claim.key_index,
        },
        gate=now.gate(actor=Actor(ActorKind.CUSTOMER, claim.subject_ref)),
        version=now.version,
    )


def _kind_use(kind: str) -> str | None:
    rule = in_force().rulebook.mail_kinds.get(kind)
    return rule.use if rule is not None else None


def kind_name(kind: str) -> str:
    """What the customer knows this mail as: its use's name in the policy, in the page's
    language (the kind's key only if the policy no longer has it)."""
    now = in_force()
    use_key = _kind_use(kind)
    use = now.policy.use_by_key(use_key) if use_key else None
    return policy_text(now.policy, use.name) if use is not None else kind


def already_unsubscribed(claim: UnsubscribeClaim) -> bool:
    use_key = _kind_use(claim.kind)
    if use_key is None:
        return False
    status = LedgerChoices().choice_for(claim.subject_ref, use_key).status
    return status in ("opted-out", "withdrawn")


def no_marketing_left(claim: UnsubscribeClaim) -> bool:
    """Whether no marketing mail reaches the subject any more: every kind one can unsubscribe
    from is declined (or, never asked where a yes is needed, not sent at all)."""
    choices = LedgerChoices()
    for rule in in_force().rulebook.mail_kinds.values():
        if not rule.unsubscribable:
            continue
        status = choices.choice_for(claim.subject_ref, rule.use).status
        if use_applies(rule.choice, status, answer_required=rule.answer_required):
            return False
    return True


@enforces("BE-8", "BE-9", "QS-4", features=("choices.unsubscribe-link",))
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claim = unsubscribe_claim(token=token)
    except InvalidToken:
        address = optout_addresses(policy=in_force().policy)[0]
        return render(request, TEMPLATE, {"state": "invalid", "address": address}, status=404)
    # The link has no language prefix: the page speaks the recipient's language (SITE-5).
    with translation.override(_recipient_language(claim)):
        request.LANGUAGE_CODE = translation.get_language()
        return _unsubscribe_page(request, claim, token)


def _recipient_language(claim: UnsubscribeClaim) -> str:
    """The page speaks the language the mail was written in: the customer's."""
    return in_force().language(customer_language(subject=claim.subject_ref))


def _unsubscribe_page(request: HttpRequest, claim: UnsubscribeClaim, token: str) -> HttpResponse:
    context: dict[str, object] = {"kind": kind_name(claim.kind), "token": token}
    if request.method == "GET":
        state = "already" if already_unsubscribed(claim) else "confirm"
        everything = state == "already" and no_marketing_left(claim)
        return render(request, TEMPLATE, {**context, "state": state, "everything": everything})
    if is_one_click_body(request.body, request.META.get("CONTENT_TYPE", "")):
        _opt_out(claim, everything=False, source="one-click")
        done = no_marketing_left(claim)
        return render(request, TEMPLATE, {**context, "state": "done", "everything": done})
    scope = request.POST.get("scope", "")
    if scope not in ("kind", "all"):
        return render(request, TEMPLATE, {**context, "state": "confirm"}, status=400)
    _opt_out(claim, everything=scope == "all", source="web")
    done = scope == "all" or no_marketing_left(claim)  # nothing else to offer to stop
    return render(request, TEMPLATE, {**context, "state": "done", "everything": done})
