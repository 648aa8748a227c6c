"""The WSGI application bench/pages.py serves with gunicorn, all in the same workers:

- keepfaith's site;
- ``/__bare__/<size>/``: Django with no middleware at all, resolving one URL to a view that
  returns ``size`` bytes of HTML (what Django and gunicorn cost by themselves);
- ``/__stack__/<size>/``: the same view behind keepfaith's whole middleware stack (the
  policy lookup, cookie guard and consent, sessions, locale, CSRF, auth, no-store, CSP...);
- ``/__django__/<size>/``: the same view behind the middleware of a new Django project
  (``startproject``'s list), what any Django site pays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import path, resolve

from keepfaith.wsgi import application as site

BARE_PREFIX = "/__bare__/"
STACK_PREFIX = "/__stack__/"
DJANGO_PREFIX = "/__django__/"
# What `django-admin startproject` writes.
DJANGO_DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def bare_view(request: HttpRequest, size: int) -> HttpResponse:
    body = b"<!doctype html><title>bare</title>" + b"x" * max(size - 34, 0)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("__bare__/<int:size>/", bare_view),
    path("__stack__/<int:size>/", bare_view),
    path("__django__/<int:size>/", bare_view),
]


class BareHandler(WSGIHandler):  # type: ignore[misc]
    """Django's WSGI handler with an empty middleware chain and this module's URLs."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []

        def respond(request: HttpRequest) -> HttpResponse:
            match = resolve(request.path_info, urlconf=__name__)
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
            return response

        self._middleware_chain = convert_exception_to_response(respond)


class StackHandler(WSGIHandler):  # type: ignore[misc]
    """Django's WSGI handler with keepfaith's middleware, resolving this module's URLs."""

    def get_response(self, request: HttpRequest) -> Any:
        request.urlconf = __name__  # type: ignore[attr-defined]
        return super().get_response(request)


class DjangoDefaultHandler(StackHandler):
    """The same, behind ``startproject``'s middleware instead of keepfaith's."""

    def load_middleware(self, is_async: bool = False) -> None:
        kept = settings.MIDDLEWARE
        settings.MIDDLEWARE = DJANGO_DEFAULT_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = kept


bare = BareHandler()
stack = StackHandler()
django_default = DjangoDefaultHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path_info = environ.get("PATH_INFO", "")
    if path_info.startswith(BARE_PREFIX):
        return bare(environ, start_response)  # type: ignore[no-any-return]
    if path_info.startswith(STACK_PREFIX):
        return stack(environ, start_response)  # type: ignore[no-any-return]
    if path_info.startswith(DJANGO_PREFIX):
        return django_default(environ, start_response)  # type: ignore[no-any-return]
    return site(environ, start_response)  # type: ignore[no-any-return]
