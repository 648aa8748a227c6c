"""django-csp's middleware with the header built once.

The policy in settings has no nonce and no per-view changes, yet django-csp rebuilds the
header string from the settings on every response (``dataclasses.asdict`` and a join: about
a third of keepfaith's middleware time on a bare view, bench/pages.py). This subclass keeps
the built strings until a setting changes; a response or request that asks for anything
per-view (``csp_update``/``csp_replace``/``csp`` decorators, a nonce used) goes through
django-csp's own path, so its decorators keep working.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_PER_VIEW = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro",
             "_csp_update_ro", "_csp_replace_ro")  # fmt: skip


@cache
def _static(report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed)
def _forget(*, setting: str, **_: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _static.cache_clear()


def _excluded(request: HttpRequest, name: str) -> bool:
    prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    return request.path_info.startswith(tuple(prefixes))


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        nonce_used = getattr(request, "_csp_nonce", None) is not None
        if nonce_used or any(hasattr(response, name) for name in _PER_VIEW):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            value = _static(report_only)
            if (value and header not in response and not getattr(response, exempt, False)
                    and not _excluded(request, setting)):  # fmt: skip
                response[header] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
