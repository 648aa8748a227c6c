"""The error pages (400, 403, 404, 500) and the guard that keeps a crafted body from reaching
a view as a 500.

Django's own error views are wrapped in ``requires_csrf_token``, which reads ``request.POST``
again: a body that failed to parse once (``charset=utf-16`` on a form post) failed again in the
400 view and became a 500 with a traceback. Here:

- ``RequestBodyMiddleware`` parses every POST body once, before any view or the CSRF check
  reads it; a body that cannot be parsed is answered with the 400 page at once, and the
  request is left with an empty form so nothing downstream meets the error again.
- ``environ_refusal`` catches what Django cannot even turn into a request (a charset with an
  embedded NUL makes ``WSGIRequest()`` raise before any middleware): ``keepfaith.wsgi`` answers
  those with the 400 page before Django sees them.
- The handlers render the site's styled pages in the visitor's language and never read the
  body. If a page cannot be rendered with the request (the database is down, a context
  processor fails), the same template is rendered without it; if even that fails, a short
  static page answers. No error page shows a traceback or an internal name.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from keepfaith.policy.trace import enforces
from keepfaith.portal.context_processors import site_identity
from keepfaith.portal.language import home_switch

logger = logging.getLogger("keepfaith.errors")

_LAST_RESORT = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head>"
    "<body><h1>{status}</h1><p>Something went wrong. Please try again later.</p></body></html>"
)


def error_page(
    request: HttpRequest | None, status: int, context: dict[str, object]
) -> HttpResponse:
    """The styled page ``<status>.html``: with the request's context where it renders."""
    template = f"{status}.html"
    # No cookie banner: it would echo the requested address (and the choice can wait); the
    # language switch goes to the home page for the same reason.
    context = {**context, "cookie_banner": False}
    try:
        context.update(home_switch())
    except Exception:  # the policy in force cannot be read: no switch then
        logger.exception("no language switch on the %s page", status)
    body: str
    try:
        body = render_to_string(template, context, request=request)
    except Exception:
        logger.exception("the %s page could not be rendered with the request", status)
        try:
            body = render_to_string(template, context)
        except Exception:
            logger.exception("the %s page could not be rendered at all", status)
            body = _LAST_RESORT.format(status=status)
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, {})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, {})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, {})


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, rendered without the request: no context processor can fail it again.
    It still carries the company's name when the policy in force can be read, and a link to
    the account that suits a signed-in customer as well as a visitor (who is asked to log in
    there): without the request it cannot know which one it is talking to."""
    context: dict[str, object] = {"visitor_unknown": True}
    try:
        context.update(site_identity(request))
    except Exception:
        logger.exception("no company name on the 500 page")
    return error_page(None, 500, context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the 403 page, saying what to do (the reason stays in the log)."""
    message = _(
        "This form was sent without the token that proves it came from this site (or after "
        "its session ended). Go back, reload the page and send it again; cookies for this "
        "site must be allowed."
    )
    return error_page(request, 403, {"message": message})


_PARSE_ERRORS = (
    BadRequest,
    SuspiciousOperation,  # RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ...
    MultiPartParserError,
    UnreadablePostError,
    UnicodeDecodeError,
    ValueError,
    LookupError,  # an unknown charset name
)


@enforces("QS-3")
class RequestBodyMiddleware:
    """Parse a POST body once, up front; answer 400 if it cannot be parsed, or if the address
    or a form field holds a NUL character.

    The raw body is read first (bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``: the site takes no
    file uploads), so a view may still read ``request.body`` after the form was parsed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST":
            try:
                request.body  # noqa: B018 - caches the raw body for the parse and the view
                request.POST  # noqa: B018 - parses it (and FILES) once, here
            except _PARSE_ERRORS as error:
                request._post = QueryDict()  # type: ignore[attr-defined]
                request._files = MultiValueDict()  # type: ignore[attr-defined]
                logger.warning("unreadable request body: %s", error)
                if isinstance(error, RequestDataTooBig):
                    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
                    return error_page(request, 413, {"limit": limit})
                return bad_request(request, error)
        if _holds_nul(request):
            logger.warning("request refused: a NUL character in its address or form")
            return bad_request(request)
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    """Whether the address (path or query), a cookie or a form field holds a NUL character: no
    text here may hold one, and PostgreSQL refuses it in a query (a 500 instead of a 400)."""
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in value for value in request.COOKIES.values()):  # a quoted "\000"
        return True
    if request.method == "POST":
        return any(
            "\x00" in key or "\x00" in "".join(values) for key, values in request.POST.lists()
        )
    return False


def environ_refusal(environ: Mapping[str, Any]) -> str | None:
    """Why Django could not build a request from ``environ`` (None: it can)."""
    content_type = str(environ.get("CONTENT_TYPE", ""))
    _, params = parse_header_parameters(content_type)
    charset = params.get("charset")
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            pass  # Django ignores an unknown charset; the body parse then decides
        except ValueError:
            return "the Content-Type charset cannot be a codec name (embedded NUL)"
    return None


class GuardedWSGIApplication:
    """The WSGI application with ``environ_refusal`` in front: a 400 page, not a 500."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refusal = environ_refusal(environ)
        if refusal is None:
            return self.application(environ, start_response)
        logger.warning("request refused before Django: %s", refusal)
        response = error_page(None, 400, {})
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        start_response(f"400 {response.reason_phrase}", list(response.items()))
        return [response.content]
