"""The public privacy pages: the statement, the machine-readable policy, the update page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from keepfaith.cookies.names import NOTICE_COOKIE
from keepfaith.gate.cookies import lifetime_seconds
from keepfaith.inforce import changes_between, in_force, policy_of
from keepfaith.policy import Policy
from keepfaith.policy.render import to_json
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.portal.cookie_pages import same_origin_post
from keepfaith.portal.errors import error_page
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import policy_versions


def _language(request: HttpRequest, policy: Policy) -> str:
    lang = get_language() or "en"
    if lang not in policy.controller.languages:
        raise Http404(f"this policy has no {lang} text")
    return lang


@enforces("SITE-6", "SITE-5")
def privacy(request: HttpRequest) -> HttpResponse:
    now = in_force()
    policy, version = now.policy, now.version
    lang = _language(request, policy)
    # to_html escapes every piece of text it prints (see keepfaith.policy.document).
    html = mark_safe(now.statement_html(lang))  # noqa: S308
    return render(
        request,
        "portal/privacy.html",
        {
            "statement_html": html,
            "version": version,
            "policy": policy,
        },
    )


def privacy_json(request: HttpRequest) -> JsonResponse:
    """The machine-readable policy, with the day it took effect here (``in_force_from``, as
    the statement says it) beside the policy's own ``effective`` date."""
    now = in_force()
    data = to_json(now.policy)
    if now.version is not None:
        data["in_force_from"] = now.version.in_force_from.isoformat()
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})


def _changes(old: PolicyVersion, new: PolicyVersion, lang: str) -> list[str]:
    """What changed between two published versions, as readable lines."""
    return list(changes_between(old, new, lang))


def _use_names(version: PolicyVersion, lang: str) -> list[str]:
    """The uses a version asks consent for again, by their names in that version."""
    if not version.requires_reconsent:
        return []
    policy = policy_of(version)
    return [
        text_in(use.name, lang) if (use := policy.use_by_key(key)) is not None else key
        for key in version.requires_reconsent
    ]


def _entries(versions: list[PolicyVersion], lang: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for index, version in enumerate(versions):
        older = versions[index + 1] if index + 1 < len(versions) else None
        lines: list[str] = []
        if older is not None:
            lines = _changes(older, version, lang)
        entries.append(
            {
                "version": version,
                "lines": lines,
                "first": older is None,
                "reconsent": _use_names(version, lang),
            }
        )
    return entries


@enforces("BE-11", features=("changes.notify.banner",))
@csrf_exempt  # same_origin_post stands in for the token, as for the cookie banner
@require_POST
def notice_dismiss(request: HttpRequest) -> HttpResponse:
    """Close the change notice: a cookie naming the version (the only thing it holds), so it
    stays closed for this version and shows again for the next one."""
    if not same_origin_post(request):
        message = _("This request came from another site: the notice can only be closed here.")
        return error_page(request, 403, {"message": message})
    now = in_force()
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if now.version is not None:
        rule = now.cookies.rule(NOTICE_COOKIE)
        max_age = lifetime_seconds(rule.lifetime) if rule is not None else None
        response.set_cookie(
            NOTICE_COOKIE,
            now.version.label,
            max_age=max_age,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


@enforces("BE-11", "SITE-6", features=("changes.update-page",))
def privacy_updates(request: HttpRequest) -> HttpResponse:
    policy = in_force().policy
    lang = _language(request, policy)
    versions = list(policy_versions())
    return render(
        request,
        "portal/privacy_updates.html",
        {
            "entries": _entries(versions, lang),
            "policy": policy,
        },
    )
