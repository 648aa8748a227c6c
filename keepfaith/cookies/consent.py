"""The visitor's cookie consent for one request, and the cookies it lets the site set.

Rules it keeps (QS-7, BE-2):

- the choice lives in the browser (``kf_consent``), set only once the visitor chooses;
- ``kf_returning`` (a random id) and ``kf_campaign`` (a validated campaign code from the
  landing URL) are set only after their purpose was accepted, never before;
- a purpose refused later (or by GPC) deletes its first-party cookies on the next response;
- a choice made under an older policy version is asked again when the version in force
  needs fresh consent for a cookie purpose, and those purposes count as refused until then.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from keepfaith.cookies.choice import CookieChoice, campaign_code, choice_encode, choice_parse
from keepfaith.cookies.names import CAMPAIGN_COOKIE, CONSENT_COOKIE, RETURNING_COOKIE
from keepfaith.gate.cookies import CookieRegistry, lifetime_seconds
from keepfaith.policy.schema import Policy
from keepfaith.policy.trace import enforces

_ATTR = "_keepfaith_cookie_consent"


@dataclass(frozen=True, slots=True)
class VisitorConsent:
    """What this request's browser agreed to, under the policy in force."""

    policy: Policy
    registry: CookieRegistry
    choice: CookieChoice | None
    gpc: bool
    reconsent: frozenset[str] = frozenset()

    @property
    def stale(self) -> bool:
        """The choice predates a version that needs fresh consent for one of its purposes."""
        return (
            self.choice is not None
            and self.choice.policy_version != self.registry.version
            and bool(self.reconsent & self.registry.purpose_keys)
        )

    @property
    def ask(self) -> bool:
        """Should the banner ask? When there is something to choose and no valid choice."""
        return bool(self.registry.purposes) and (self.choice is None or self.stale)

    @property
    def accepted(self) -> frozenset[str]:
        """The purposes in effect: chosen, still offered, not refused by GPC or re-consent."""
        if self.choice is None:
            return frozenset()
        accepted = self.choice.accepted & self.registry.purpose_keys
        if self.stale:
            accepted -= self.reconsent
        if self.gpc:
            accepted -= self.registry.gpc_refused
        return accepted


def visitor_consent(request: HttpRequest) -> VisitorConsent | None:
    """The consent the middleware read for ``request`` (None outside the middleware)."""
    consent: VisitorConsent | None = getattr(request, _ATTR, None)
    return consent


def visitor_consent_set(request: HttpRequest, consent: VisitorConsent) -> None:
    """Attach ``consent`` to ``request`` (the middleware does; a new choice replaces it)."""
    setattr(request, _ATTR, consent)


def consent_read(
    request: HttpRequest,
    *,
    policy: Policy,
    registry: CookieRegistry,
    gpc: bool,
    reconsent: frozenset[str] = frozenset(),
) -> VisitorConsent:
    """The consent in ``request``'s ``kf_consent`` cookie (a malformed value is no choice)."""
    choice = choice_parse(request.COOKIES.get(CONSENT_COOKIE))
    return VisitorConsent(policy, registry, choice, gpc, reconsent)


def _secure() -> bool:
    return bool(settings.SESSION_COOKIE_SECURE)


def _set(response: HttpResponseBase, registry: CookieRegistry, name: str, value: str) -> None:
    rule = registry.rule(name)
    if rule is None:
        raise LookupError(
            f"the policy in force lists no {name!r} cookie: add it to `cookies` "
            "(see docs/cookies.md)"
        )
    response.set_cookie(
        name,
        value,
        max_age=lifetime_seconds(rule.lifetime),
        secure=_secure(),
        httponly=True,
        samesite="Lax",
    )


@enforces("BE-2", "QS-7")
def consent_choice_store(
    request: HttpRequest, response: HttpResponseBase, *, accepted: frozenset[str]
) -> VisitorConsent:
    """Store the visitor's new choice in ``kf_consent`` and make it this request's consent.

    Only purposes the registry offers are kept. The returned consent is attached to the
    request, so this very response already sets or deletes the cookies it governs.
    """
    consent = visitor_consent(request)
    if consent is None:
        raise LookupError("CookieConsentMiddleware is not installed (see docs/cookies.md)")
    registry = consent.registry
    choice = CookieChoice(accepted & registry.purpose_keys, registry.version)
    _set(response, registry, CONSENT_COOKIE, choice_encode(choice))
    updated = replace(consent, choice=choice, reconsent=frozenset())
    visitor_consent_set(request, updated)
    return updated


@enforces("QS-7", "BE-2", "BE-4")
def consent_cookies_apply(
    request: HttpRequest, response: HttpResponseBase, consent: VisitorConsent
) -> None:
    """Set the cookies the consent allows and delete the ones it no longer does."""
    registry, accepted = consent.registry, consent.accepted
    present = set(request.COOKIES) - set(response.cookies)
    for name, rule in registry.cookies.items():
        refused = not rule.essential and rule.purpose not in accepted
        if refused and rule.party == "first" and name in present:
            response.delete_cookie(name, samesite="Lax")
    # One random id per browser: kept while it exists, never re-rolled on each response.
    has_id = RETURNING_COOKIE in request.COOKIES or RETURNING_COOKIE in response.cookies
    if not has_id and registry.allowed(RETURNING_COOKIE, accepted):
        _set(response, registry, RETURNING_COOKIE, secrets.token_urlsafe(16))
    if request.method == "GET" and registry.allowed(CAMPAIGN_COOKIE, accepted):
        code = campaign_code((request.GET.get("utm_campaign"), request.GET.get("campaign")))
        if code is not None and request.COOKIES.get(CAMPAIGN_COOKIE) != code:
            _set(response, registry, CAMPAIGN_COOKIE, code)


@enforces("QS-7", "BE-4")
def campaign_carried(request: HttpRequest) -> str | None:
    """The campaign code this browser carries, when its choice still allows campaign
    measurement (a refusal since, or GPC, makes it count for nothing)."""
    consent = visitor_consent(request)
    if consent is None or not consent.registry.allowed(CAMPAIGN_COOKIE, consent.accepted):
        return None
    return campaign_code((request.COOKIES.get(CAMPAIGN_COOKIE),))


@enforces("QS-7", "BE-4")
def returning_visitor(request: HttpRequest) -> bool:
    """Whether this browser came before and its choice allows being recognised: it carries
    the ``kf_returning`` id an earlier response set."""
    consent = visitor_consent(request)
    if consent is None or not consent.registry.allowed(RETURNING_COOKIE, consent.accepted):
        return False
    return RETURNING_COOKIE in request.COOKIES
