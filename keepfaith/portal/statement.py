"""The public privacy pages: the statement, the machine-readable policy, the update page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import translate_url
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from keepfaith.policy import Policy
from keepfaith.policy.diff import diff_to_text, policy_diff
from keepfaith.policy.document import to_html
from keepfaith.policy.render import policy_content_hash, statement, to_json
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.selectors import active_policy, policy_of, policy_versions

LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}


_html_cache: dict[tuple[str, str], SafeString] = {}
_changes_cache: dict[tuple[str, str, str], list[str]] = {}


def _key(policy: Policy, version: PolicyVersion | None) -> str:
    return version.content_hash if version is not None else policy_content_hash(policy)


def _statement_html(key: str, lang: str, policy: Policy) -> SafeString:
    """The statement as HTML, rendered once per policy content and language."""
    html = _html_cache.get((key, lang))
    if html is None:
        # to_html escapes every piece of text it prints (see keepfaith.policy.document).
        html = _html_cache[(key, lang)] = mark_safe(to_html(statement(policy, lang=lang)))  # noqa: S308
    return html


def _language(request: HttpRequest, policy: Policy) -> str:
    lang = get_language() or "en"
    if lang not in policy.controller.languages:
        raise Http404(f"this policy has no {lang} text")
    return lang


def _switch(request: HttpRequest, policy: Policy, current: str) -> list[tuple[str, str]]:
    return [
        (LANGUAGE_NAMES.get(lang, lang), translate_url(request.path, lang))
        for lang in policy.controller.languages
        if lang != current
    ]


@enforces("SITE-6", "SITE-5")
def privacy(request: HttpRequest) -> HttpResponse:
    policy, version = active_policy()
    lang = _language(request, policy)
    html = _statement_html(_key(policy, version), lang, policy)
    return render(
        request,
        "portal/privacy.html",
        {
            "statement_html": html,
            "version": version,
            "policy": policy,
            "switch": _switch(request, policy, lang),
        },
    )


def privacy_json(request: HttpRequest) -> JsonResponse:
    policy, _ = active_policy()
    return JsonResponse(to_json(policy), json_dumps_params={"ensure_ascii": False, "indent": 2})


def _changes(old: PolicyVersion, new: PolicyVersion, lang: str) -> list[str]:
    """What changed between two published versions, as readable lines (cached)."""
    key = (old.content_hash, new.content_hash, lang)
    lines = _changes_cache.get(key)
    if lines is None:
        text = diff_to_text(policy_diff(policy_of(old), policy_of(new)), lang=lang)
        lines = _changes_cache[key] = [line for line in text.splitlines()[1:] if line.strip()]
    return lines


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
                "reconsent": version.requires_reconsent,
            }
        )
    return entries


@enforces("BE-11", "SITE-6")
def privacy_updates(request: HttpRequest) -> HttpResponse:
    policy, _ = active_policy()
    lang = _language(request, policy)
    versions = list(policy_versions())
    return render(
        request,
        "portal/privacy_updates.html",
        {
            "entries": _entries(versions, lang),
            "policy": policy,
            "switch": _switch(request, policy, lang),
        },
    )
