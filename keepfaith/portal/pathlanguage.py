"""Django's ``LocaleMiddleware`` with the language of the URL worked out once per request.

Django asks "which language does this path start with?" three times per request, and for a
path that starts with no language (``/account/``: "account" is tried as a language code) the
answer is a ``LookupError`` its cache does not keep, so the list of languages is searched three
times on every page. Here the answer, a language or none, is kept per first path segment (at
most ``_SEGMENTS`` of them, emptied when the languages change) and read once per request;
everything else is Django's own logic, in Django's order: with ``i18n_patterns`` and no
prefix for the default language, a path without a language is the default language (the
language lives in the URL, see ``keepfaith.portal.language``); otherwise the path's language,
then the cookie and ``Accept-Language`` as Django reads them.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import language_code_prefix_re

_SEGMENTS = 256
_ATTR = "_keepfaith_path_language"


@functools.lru_cache(maxsize=_SEGMENTS)
def _segment_language(code: str) -> str | None:
    try:
        found: str = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    return found


@receiver(setting_changed)
def _forget(*, setting: str, **_: Any) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _segment_language.cache_clear()


def path_language(path: str) -> str | None:
    """``translation.get_language_from_path(path)``, remembered per first segment."""
    match = language_code_prefix_re.match(path)
    return _segment_language(match[1]) if match else None


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
        from_path = path_language(request.path_info)
        setattr(request, _ATTR, from_path)
        if i18n_patterns_used and from_path is not None:
            language = from_path
        elif i18n_patterns_used and not prefixed_default_language:
            language = settings.LANGUAGE_CODE  # as Django decides, without reading the rest
        else:
            language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
        if response.status_code == 404 and i18n_patterns_used and prefixed_default_language:
            # Django's redirect to the language-prefixed URL: its own code.
            return super().process_response(request, response)  # type: ignore[no-any-return]
        from_path = getattr(request, _ATTR, None)
        if not hasattr(request, _ATTR):
            from_path = path_language(request.path_info)
        if not (i18n_patterns_used and from_path):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
