"""``Cache-Control: no-store`` on every page that may show personal data.

A shared computer's browser cache, a proxy or the back button must not keep a signed-in
customer's pages or any console page: every response to a signed-in person (customer or
staff) and every response under the console's URLs is marked ``no-store`` (with Django's
``never_cache`` set: ``no-cache, no-store, must-revalidate, private, max-age=0``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date

from keepfaith.policy.trace import enforces


def _private(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    match = request.resolver_match
    in_console = match is not None and "console" in match.namespaces
    return in_console or request.path_info.startswith("/console/")


# What ``add_never_cache_headers`` writes on a response without caching headers of its own.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def never_cache_headers(response: HttpResponseBase) -> None:
    """``add_never_cache_headers``, written directly when the response has neither header
    (the usual case: Django's version parses and re-joins ``Cache-Control`` twice)."""
    if "Cache-Control" in response or "Expires" in response:
        add_never_cache_headers(response)
        return
    response.headers["Expires"] = http_date()
    response.headers["Cache-Control"] = NEVER_CACHE


@enforces("QS-3")
class NoStoreMiddleware:
    """After authentication: personal pages are never stored by a cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if _private(request):
            never_cache_headers(response)
        return response
