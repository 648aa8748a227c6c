"""Cookie settings (/cookies/) and the GPC well-known file (SITE-6, QS-7, BE-2).

The choice POSTs are ``csrf_exempt`` on purpose: the banner is on every page, and a CSRF token
in it would set ``csrftoken`` on every visitor who only browses, the very cookie-before-choice
we avoid. Forgery is refused instead by requiring a same-origin ``Origin`` (or, without one,
``Referer``) and, when the browser sends it, ``Sec-Fetch-Site: same-origin``. A POST can only
change the visitor's own ``kf_consent`` cookie.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from keepfaith.cookies.consent import VisitorConsent, consent_choice_store, visitor_consent
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import join_words
from keepfaith.policy.schema import Cookie, Policy
from keepfaith.policy.trace import enforces
from keepfaith.portal.context_processors import policy_text
from keepfaith.portal.errors import error_page
from keepfaith.portal.language import prefixed

CROSS_SITE_REFUSAL = gettext_lazy(
    "This request came from another site: a cookie choice can only be made on this site."
)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@enforces("BE-2")
def same_origin_post(request: HttpRequest) -> bool:
    """Did this POST come from a page of this site? (The banner's forgery protection.)"""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    own = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin in own
    referer = request.headers.get("Referer", "")
    return bool(referer) and _origin_of(referer) in own


def _purposes(consent: VisitorConsent) -> list[dict[str, Any]]:
    policy = consent.policy
    rows = []
    for purpose in consent.registry.purposes:
        use = policy.use_by_key(purpose.key)
        rows.append(
            {
                "key": purpose.key,
                "name": policy_text(policy, use.name) if use else purpose.key,
                "description": policy_text(policy, use.description) if use else "",
                "cookies": purpose.cookies,
                "accepted": purpose.key in consent.accepted,
                "gpc_refused": consent.gpc and purpose.refused_by_gpc,
            }
        )
    return rows


def lifetime_words(lifetime: str) -> str:
    """A registry lifetime (``session``, ``90d``, ``1y``; ``m`` is a month of 30 days, as in
    ``keepfaith.gate.cookies``) in words of the page's language."""
    match = re.fullmatch(r"(\d+)([a-z])", lifetime)
    if lifetime == "session" or match is None:
        return _("until you close the browser") if lifetime == "session" else lifetime
    n, unit = int(match.group(1)), match.group(2)
    words = {
        "h": ngettext("%(n)d hour", "%(n)d hours", n),
        "d": ngettext("%(n)d day", "%(n)d days", n),
        "w": ngettext("%(n)d week", "%(n)d weeks", n),
        "m": ngettext("%(n)d month", "%(n)d months", n),
        "y": ngettext("%(n)d year", "%(n)d years", n),
    }
    return words[unit] % {"n": n} if unit in words else lifetime


def _cookie_partner(policy: Policy, cookie: Cookie) -> str:
    """Who sets a partner's cookie, by the partner's name in the policy (as the statement's
    cookie table says it), never the policy's key for it."""
    name = policy.recipient_name(cookie.recipient or "", get_language() or "en")
    if name is None:
        return _("a partner")
    return _("%(name)s (third party)") % {"name": name}


def _cookie_rows(consent: VisitorConsent) -> list[dict[str, Any]]:
    policy = consent.policy
    return [
        {
            "name": cookie.name,
            "description": policy_text(policy, cookie.description),
            "party": _("us") if cookie.party == "first" else _cookie_partner(policy, cookie),
            "lifetime": lifetime_words(cookie.lifetime),
            "essential": cookie.essential,
            "purpose": cookie.purpose,
        }
        for cookie in policy.cookies
    ]


def _in_this_language(path: str) -> str:
    """A site path (``/shop/``, ``/da/shop/``) with the language prefix of this page."""
    if not path.startswith("/") or path.startswith("//"):
        return path
    return prefixed(path, get_language() or settings.LANGUAGE_CODE)


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after saving: the page the visitor came from, in the language of this page
    (switching the language here keeps the place to go back to, but not its language)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return _in_this_language(candidate)
    return reverse("portal:cookies")


def _chosen(request: HttpRequest, consent: VisitorConsent) -> frozenset[str] | None:
    action = request.POST.get("choice")
    if action == "accept":
        return consent.registry.purpose_keys
    if action == "reject":
        return frozenset()
    if action == "save":
        return frozenset(request.POST.getlist("purpose")) & consent.registry.purpose_keys
    return None


@enforces("QS-7", "BE-2", "SITE-6", features=("choices.cookie-settings",))
@csrf_exempt  # same_origin_post stands in for the token: see the module docstring
@require_http_methods(["GET", "POST"])
def cookie_settings(request: HttpRequest) -> HttpResponse:
    """The cookie list from the policy, and the visitor's choice: accept, reject or pick."""
    consent = visitor_consent(request)
    if consent is None:
        raise LookupError("CookieConsentMiddleware is not installed (see docs/cookies.md)")
    if request.method == "POST":
        if not same_origin_post(request):
            return error_page(request, 403, {"message": CROSS_SITE_REFUSAL})
        accepted = _chosen(request, consent)
        if accepted is None:
            message = _("Choose “Accept all”, “Reject all” or “Save my choice”.")
            return error_page(request, 400, {"message": message})
        response = redirect(_next_url(request, request.POST.get("next")))
        consent_choice_store(request, response, accepted=accepted)
        return response
    purposes = _purposes(consent)
    lang = (get_language() or settings.LANGUAGE_CODE)[:2]
    context = {
        "consent": consent,
        "purposes": purposes,
        "accepted_names": join_words([p["name"] for p in purposes if p["accepted"]], lang),
        "cookies": _cookie_rows(consent),
        "next": _next_url(request, request.GET.get("next")),
        "policy": consent.policy,
    }
    return render(request, "portal/cookies.html", context)


@enforces("BE-2", "BE-4")
@require_GET
def gpc_json(request: HttpRequest) -> JsonResponse:
    """``/.well-known/gpc.json``: this site honours Global Privacy Control."""
    now = in_force()
    policy, version = now.policy, now.version
    updated = version.in_force_from.isoformat() if version is not None else policy.effective
    return JsonResponse({"gpc": True, "lastUpdate": updated})
