"""One-click unsubscribe (BE-8, BE-9, QS-4; RFC 2369, RFC 8058): ``/unsubscribe/<token>/``.

Rules kept here:

- ``POST`` with ``List-Unsubscribe=One-Click`` (urlencoded or multipart) opts the token's
  recipient out of the token's kind: no login, no cookie, no redirect, answer 200, and the
  same request twice changes nothing more. Ledger source ``one-click``.
- ``GET`` never changes anything (mail scanners follow links): it shows a page with a button
  for this kind and one for all marketing; those buttons post ``scope`` (source ``web``).
  The form needs no CSRF cookie: the signed token in the URL is what binds it.
- The opt-out is in the ledger before the answer, so the next send already skips them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from keepfaith.comms.services import optout_record, unsubscribe_claim
from keepfaith.comms.unsubscribe import InvalidToken, UnsubscribeClaim, is_one_click_body
from keepfaith.policy.trace import enforces

TEMPLATE = "portal/unsubscribe.html"


def _opt_out(claim: UnsubscribeClaim, *, everything: bool, source: str) -> list[str]:
    return optout_record(
        subject=claim.subject_ref,
        kinds=None if everything else [claim.kind],
        source=source,
        evidence={
            "kind": claim.kind,
            "scope": "all" if everything else "kind",
            "token_key": claim.key_index,
        },
    )


@enforces("BE-8", "BE-9", "QS-4")
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claim = unsubscribe_claim(token=token)
    except InvalidToken:
        return render(request, TEMPLATE, {"state": "invalid"}, status=404)
    context: dict[str, object] = {"kind": claim.kind, "token": token}
    if request.method == "GET":
        return render(request, TEMPLATE, {**context, "state": "confirm"})
    if is_one_click_body(request.body, request.META.get("CONTENT_TYPE", "")):
        _opt_out(claim, everything=False, source="one-click")
        return render(request, TEMPLATE, {**context, "state": "done", "everything": False})
    scope = request.POST.get("scope", "")
    if scope not in ("kind", "all"):
        return render(request, TEMPLATE, {**context, "state": "confirm"}, status=400)
    _opt_out(claim, everything=scope == "all", source="web")
    return render(request, TEMPLATE, {**context, "state": "done", "everything": scope == "all"})
