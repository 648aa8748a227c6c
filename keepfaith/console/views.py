"""The staff console: sign-in with a second factor, the dashboard, and audited reads."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import user_has_device

from keepfaith.accounts.models import User, login_identity
from keepfaith.accounts.selectors import customer_list
from keepfaith.accounts.services import staff_language_set
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor, audit_append
from keepfaith.console import reads
from keepfaith.console.access import (
    closed_by_restriction,
    not_found_page,
    staff_language_activate,
    staff_read,
    staff_view,
)
from keepfaith.console.forms import SecondFactorForm, StaffLanguageForm, StaffLoginForm
from keepfaith.console.nav import sections_for
from keepfaith.console.payments import refund_rows
from keepfaith.store.pricing import money_here as money
from keepfaith.store.selectors import orders_for_billing


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/console/") else "/console/"


def _sign_in_language(request: HttpRequest) -> dict[str, str]:
    """Before sign-in the console cannot know the staff member's language: the sign-in pages
    speak the one chosen with ``lang`` (a link on each page switches), else the browser's
    (its language cookie, then ``Accept-Language``). Once signed in, the console speaks the
    staff member's own (their settings)."""
    chosen = request.POST.get("lang") or request.GET.get("lang") or ""
    if chosen not in dict(settings.LANGUAGES):
        chosen = translation.get_language_from_request(request, check_path=False)
        if chosen == settings.LANGUAGE_CODE:
            chosen = ""  # the default needs no word in the addresses
    if chosen:
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]
    return {"lang": chosen, "next": _next_url(request)}


def _sign_in_audit(email: str, outcome: str, step: str) -> None:
    """A staff member's sign-in, or a failed step of it, in the audit log (who opened the
    console, and who was tried). Only for a staff account: a typed address that is no staff
    member's is not kept (failed sign-ins are kept only for the lock-out's cool-off)."""
    staff = User.objects.filter(email=email, is_staff=True).only("email").first()
    if staff is not None:
        audit_append(
            actor=Actor(ActorKind.STAFF, staff.email),
            action="accounts.staff.sign-in",
            outcome=outcome,
            detail={"step": step},
        )


def staff_login(request: HttpRequest) -> HttpResponse:
    shown = _sign_in_language(request)
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        if not user_has_device(user):
            _sign_in_audit(user.email, "refused", "no second factor set up")
            return render(request, "console/no_second_factor.html", status=403)
        query = {key: shown[key] for key in ("next", "lang") if shown[key]}
        return redirect(f"/console/verify/?{urlencode(query, safe='/')}")
    if request.method == "POST":
        _sign_in_audit(login_identity(request.POST.get("username", "")), "refused", "password")
    return render(request, "console/login.html", {"form": form, **shown})


def staff_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or not user.is_staff:
        return redirect("console:login")
    if not user_has_device(user):
        return render(request, "console/no_second_factor.html", status=403)
    shown = _sign_in_language(request)
    form = SecondFactorForm(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        # A new session key for the verified session: a key seen before the second factor
        # (fixed by someone else, or read off this screen) never opens the console.
        request.session.cycle_key()
        _sign_in_audit(user.email, "done", "second factor")
        return redirect(_next_url(request))
    if request.method == "POST":
        _sign_in_audit(user.email, "refused", "second factor")
    return render(request, "console/verify.html", {"form": form, **shown})


def staff_logout(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":  # only the form signs out (a link could be forged)
        return redirect("console:dashboard")
    logout(request)
    return redirect("console:login")


@staff_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    """The pages this person may open: their role's permission and the policy's read grant."""
    shown = [(s.title, s.url) for s in sections_for(request)]
    return render(request, "console/dashboard.html", {"panels": shown})


@staff_view()
def preferences(request: HttpRequest) -> HttpResponse:
    """The staff member's own settings: the language the console speaks to them."""
    user = request.user
    form = StaffLanguageForm(
        request.POST or None, initial={"language": getattr(user, "language", "") or "en"}
    )
    if request.method == "POST" and form.is_valid():
        staff_language_set(user=cast(User, user), language=form.cleaned_data["language"])
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Saved: the console now speaks this language to you."))
        return redirect("console:preferences")
    return render(request, "console/preferences.html", {"form": form})


@staff_view()
@staff_read(reads.CUSTOMERS)
def customers(request: HttpRequest) -> HttpResponse:
    rows = list(customer_list(search=request.GET.get("q", ""))[:200])
    closed = closed_by_restriction(request, (c.subject_ref for c in rows))
    # an erased account is restricted for good: counted apart, not "restricted" (which the
    # privacy officer may lift)
    erased = sum(1 for c in rows if c.subject_ref in closed and c.is_erased)
    rows = [c for c in rows if c.subject_ref not in closed]
    request.audited_subjects.extend(c.subject_ref for c in rows)  # type: ignore[attr-defined]
    context = {
        "customers": rows,
        "q": request.GET.get("q", ""),
        "restricted": len(closed) - erased,
        "erased": erased,
    }
    return render(request, "console/customers.html", context)


@staff_view()
@staff_read(reads.ORDERS)
def orders(request: HttpRequest) -> HttpResponse:
    """Orders for billing staff; a card is only ever shown as brand and last four."""
    q = request.GET.get("q", "")
    rows = list(orders_for_billing(search=q)[:200])
    closed = closed_by_restriction(request, (o.customer.subject_ref for o in rows))
    left_out = {
        o.customer.subject_ref: o.customer for o in rows if o.customer.subject_ref in closed
    }
    erased = sum(1 for c in left_out.values() if c.is_erased)
    rows = [o for o in rows if o.customer.subject_ref not in closed]
    request.audited_subjects.extend(  # type: ignore[attr-defined]
        sorted({o.customer.subject_ref for o in rows})
    )
    shown = [(o, money(o.total_minor, o.currency)) for o in rows]
    context = {
        "orders": shown,
        "q": q,
        "restricted": len(closed) - erased,
        "erased": erased,
        "refunds": refund_rows(request),
    }
    return render(request, "console/orders.html", context)


def not_found(request: HttpRequest) -> HttpResponse:
    """An address under /console/ that names no page: the console's 404 for a signed-in
    member of staff, in their language; the site's 404 for anyone else (nothing about the
    console is said to them)."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.is_verified()):  # type: ignore[attr-defined]
        raise Http404("no such console page")
    staff_language_activate(request)
    return not_found_page(request)
