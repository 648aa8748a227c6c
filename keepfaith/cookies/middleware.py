"""The two middlewares of the cookie promise. Order in ``MIDDLEWARE`` (see docs/cookies.md):

- ``CookieGuardMiddleware`` first (after the policy-version memo, which sets none), so its
  response phase runs last and sees every cookie (the session and CSRF middlewares set theirs
  on the way out);
- ``CookieConsentMiddleware`` after the session and authentication middlewares, so it can
  record a signed-in customer's GPC signal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from keepfaith.audit.services import Actor, audit_append
from keepfaith.cookies.consent import (
    VisitorConsent,
    consent_cookies_apply,
    consent_read,
    visitor_consent,
    visitor_consent_set,
)
from keepfaith.cookies.gpc import gpc_note, gpc_signal
from keepfaith.cookies.guard import CookieViolation, cookie_violations, personal_markers
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.urlsecrets import path_shown

logger = logging.getLogger("keepfaith.cookies")

Handler = Callable[[HttpRequest], HttpResponseBase]


class CookieGuardViolation(Exception):
    """A response tried to set a cookie the guard blocks (raised only in strict mode)."""


def _consent_in_force(request: HttpRequest) -> VisitorConsent:
    now = in_force()
    return consent_read(
        request,
        policy=now.policy,
        registry=now.cookies,
        gpc=gpc_signal(request),
        reconsent=now.reconsent,
    )


class CookieConsentMiddleware:
    """Reads the visitor's choice and GPC, then sets only the cookies they allow."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        consent = _consent_in_force(request)
        visitor_consent_set(request, consent)
        if consent.gpc and consent.registry.gpc_refused:
            gpc_note(
                request,
                refused=consent.registry.gpc_refused,
                policy=consent.policy,
                version=in_force().version,
            )
        response = self.get_response(request)
        consent_cookies_apply(request, response, visitor_consent(request) or consent)
        return response


def _markers(request: HttpRequest) -> tuple[str, ...]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ()
    return personal_markers(
        customer_number=getattr(user, "customer_number", "") or "",
        email=getattr(user, "email", "") or "",
        full_name=getattr(user, "full_name", "") or "",
    )


def _report(request: HttpRequest, violation: CookieViolation) -> None:
    logger.error("cookie %s blocked: %s (%s)", violation.name, violation.reason, request.path)
    audit_append(
        actor=Actor.system("cookie guard"),
        action="cookie.blocked",
        outcome="blocked",
        categories=["user.device.cookie_id"],
        clauses=["BE-4"],
        detail={
            "name": violation.name,
            "reason": violation.reason,
            "path": path_shown(request.path),
        },
    )


def _max_age(morsel: Morsel[str]) -> int | None:
    """How long the browser keeps the cookie, in seconds (None: until it closes)."""
    if str(morsel["max-age"]).strip():
        try:
            return int(str(morsel["max-age"]))
        except ValueError:
            return 0
    if morsel["expires"]:
        try:
            until = parsedate_to_datetime(str(morsel["expires"]))
        except (TypeError, ValueError):
            return 0
        return max(0, int((until - dt.datetime.now(dt.UTC)).total_seconds()))
    return None


@enforces("BE-4", "QS-7", features=("security.consent.cookie_guard",))
def cookie_guard(request: HttpRequest, response: HttpResponseBase) -> list[CookieViolation]:
    """Remove every cookie of ``response`` that breaks the policy, report it, return them."""
    consent = visitor_consent(request)
    registry = consent.registry if consent is not None else in_force().cookies
    accepted = consent.accepted if consent is not None else frozenset()
    values = {name: morsel.value for name, morsel in response.cookies.items()}
    found = cookie_violations(
        cookies=values,
        registry=registry,
        accepted=accepted,
        markers=_markers(request),
        max_ages={name: _max_age(morsel) for name, morsel in response.cookies.items()},
    )
    for violation in found:
        del response.cookies[violation.name]
        _report(request, violation)
    return found


class CookieGuardMiddleware:
    """Checks every ``Set-Cookie`` on the way out (BE-4); strict mode raises instead."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.cookies:
            found = cookie_guard(request, response)
            if found and getattr(settings, "KEEPFAITH_COOKIE_GUARD_STRICT", False):
                listed = "; ".join(f"{v.name}: {v.reason}" for v in found)
                raise CookieGuardViolation(f"cookie guard blocked {listed}")
        return response
