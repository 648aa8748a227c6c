"""Template context for every page: who runs the site, and whether the cookie banner asks
(QS-7, BE-2)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from keepfaith.cookies.consent import visitor_consent
from keepfaith.cookies.names import NOTICE_COOKIE
from keepfaith.inforce import in_force
from keepfaith.policy.schema import Policy
from keepfaith.policy.trace import enforces


def cookie_banner(request: HttpRequest) -> dict[str, object]:
    """``cookie_banner``: True while the visitor has something to choose and has not chosen.

    Not on the cookie settings page itself, which offers the same buttons.
    """
    if request.path.startswith("/console/"):  # staff pages set strictly necessary cookies only
        return {"cookie_banner": False}
    consent = visitor_consent(request)
    if consent is None or not consent.ask:
        return {"cookie_banner": False}
    on_settings = request.path.rstrip("/").endswith(reverse("portal:cookies").rstrip("/"))
    names = []
    for purpose in consent.registry.purposes:
        use = consent.policy.use_by_key(purpose.key)
        names.append(policy_text(consent.policy, use.name) if use else purpose.key)
    return {"cookie_banner": not on_settings, "cookie_gpc": consent.gpc, "cookie_purposes": names}


def policy_text(policy: Policy, text: dict[str, str]) -> str:
    """A policy text in the page's language, else the policy's first language."""
    lang = get_language() or "en"
    return text.get(lang) or text.get(policy.controller.languages[0]) or next(iter(text.values()))


@enforces("BE-11", features=("changes.notify.banner",))
def policy_notice(request: HttpRequest) -> dict[str, object]:
    """``policy_notice``: the version in force while its change notice shows (the policy's
    ``changes.notify`` has ``banner``; for ``changes.banner_days`` after it takes effect,
    until the visitor closes it). The first version published is no change: no notice; nor
    is the version in force when a signed-in customer joined."""
    if request.path.startswith("/console/"):
        return {}
    now = in_force()
    version = now.version
    changes = now.policy.changes
    if version is None or "banner" not in changes.notify or version.seq <= 1:
        return {}  # the first version published changes nothing
    start = version.in_force_from
    if timezone.localdate() > start + dt.timedelta(days=changes.banner_days):
        return {}
    if request.COOKIES.get(NOTICE_COOKIE) == version.label:
        return {}
    user = getattr(request, "user", None)
    joined = (
        getattr(user, "date_joined", None) if getattr(user, "is_authenticated", False) else None
    )
    if joined is not None and timezone.localdate(joined) >= start:
        return {}  # a customer since the change never read the earlier text: nothing changed
    return {"policy_notice": version, "policy_notice_since": start}


def site_identity(request: HttpRequest) -> dict[str, object]:
    """``site_name``: the controller's trading name from the policy in force (BE-1)."""
    controller = in_force().policy.controller
    names = controller.trading_names or (controller.legal_name,)
    return {"site_name": names[0]}
