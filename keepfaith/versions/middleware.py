"""One lookup of the policy in force per request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from keepfaith.versions.selectors import active_version_memo


class PolicyInForceMiddleware:
    """Every read of the version in force during a request shares one database lookup.

    First in ``MIDDLEWARE``, so the other middlewares, the view and its templates all see the
    same version; the next request looks it up again, so a publish counts from then on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with active_version_memo():
            return self.get_response(request)
