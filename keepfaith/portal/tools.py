"""The public certificate tools (SITE-4): CSR checker, certificate/key match, SSL server test,
and the install guide. Nothing a visitor sends here is stored, logged or audited: the result
exists only in the page that shows it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from keepfaith.certs.csrcheck import csr_check, key_match
from keepfaith.certs.forms import CsrCheckForm, KeyMatchForm, ServerTestForm
from keepfaith.certs.inputs import InputError
from keepfaith.certs.names import names_parse
from keepfaith.certs.ratelimit import RateLimited, scan_permit
from keepfaith.certs.sslscan import ScanFailed, server_test
from keepfaith.certs.targets import TargetRefused
from keepfaith.policy.trace import enforces

TEMPLATE = "certs/tools.html"


def _forms(request: HttpRequest, **bound: Any) -> dict[str, Any]:
    return {
        "csr_form": bound.get("csr_form") or CsrCheckForm(),
        "match_form": bound.get("match_form") or KeyMatchForm(),
        "test_form": bound.get("test_form") or ServerTestForm(),
        **{k: v for k, v in bound.items() if not k.endswith("_form")},
    }


def _to_form(anchor: str) -> HttpResponse:
    """The tools page at one tool's form, in the current language: a result exists only in
    the answer to the post that asked for it (nothing is kept to show again)."""
    return redirect(reverse("portal:tools") + f"#{anchor}")


@enforces("SITE-4")
def tools(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _forms(request))


@enforces("SITE-4")
@require_http_methods(["GET", "POST"])
def tools_csr(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # a reload, a bookmark or the language switch: the form again
        return _to_form("csr")
    form = CsrCheckForm(request.POST, request.FILES)
    context: dict[str, Any] = {"csr_form": form}
    if form.is_valid():
        try:
            names = names_parse(form.cleaned_data.get("names", ""))
            context["csr_report"] = csr_check(data=form.cleaned_data["csr_bytes"], names=names)
        except InputError as exc:
            context["csr_error"] = str(exc)
    return render(request, TEMPLATE, _forms(request, **context), status=_status(context, "csr"))


@enforces("SITE-4")
@require_http_methods(["GET", "POST"])
def tools_match(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # a reload, a bookmark or the language switch: the form again
        return _to_form("match")
    form = KeyMatchForm(request.POST)
    context: dict[str, Any] = {"match_form": form}
    if form.is_valid():
        try:
            context["match_report"] = key_match(
                certificate=form.cleaned_data["certificate"], other=form.cleaned_data["other"]
            )
        except InputError as exc:
            context["match_error"] = str(exc)
    return render(request, TEMPLATE, _forms(request, **context), status=_status(context, "match"))


@enforces("SITE-4")
@require_http_methods(["GET", "POST"])
def tools_ssltest(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # a reload, a bookmark or the language switch: the form again
        return _to_form("ssltest")
    form = ServerTestForm(request.POST)
    context: dict[str, Any] = {"test_form": form}
    if form.is_valid():
        try:
            with scan_permit(visitor=visitor_address(request)):
                context["test_report"] = server_test(target=form.cleaned_data["target"])
        except RateLimited as exc:
            context["test_error"] = str(exc)
            return render(request, TEMPLATE, _forms(request, **context), status=429)
        except (TargetRefused, ScanFailed) as exc:
            context["test_error"] = str(exc)
    return render(request, TEMPLATE, _forms(request, **context), status=_status(context, "test"))


def visitor_address(request: HttpRequest) -> str:
    """The visitor's address for the rate limit: behind ``KEEPFAITH_PROXY_COUNT`` trusted
    proxies, the address the outermost of them saw (never stored)."""
    proxies = int(getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0))
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [a.strip() for a in header.split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _status(context: dict[str, Any], prefix: str) -> int:
    form = context.get(f"{prefix}_form")
    bad = context.get(f"{prefix}_error") or (form is not None and form.errors)
    return 400 if bad else 200


@enforces("SITE-4")
def install_guide(request: HttpRequest) -> HttpResponse:
    return render(request, "certs/install_guide.html")
