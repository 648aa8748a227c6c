"""The staff console: sign-in with a second factor, the dashboard, and audited reads."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from keepfaith.accounts.selectors import customer_list
from keepfaith.audit.selectors import audit_entries, chain_verify
from keepfaith.console.access import audited_read, staff_view
from keepfaith.console.analytics import raw_ip_readers, report_readers
from keepfaith.console.forms import SecondFactorForm, StaffLoginForm
from keepfaith.store.pricing import money
from keepfaith.store.selectors import orders_for_billing
from keepfaith.versions.selectors import active_policy


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/console/") else "/console/"


def staff_login(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        if not user_has_device(user):
            return render(request, "console/no_second_factor.html", status=403)
        return redirect(f"/console/verify/?next={_next_url(request)}")
    return render(request, "console/login.html", {"form": form, "next": _next_url(request)})


def staff_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or not user.is_staff:
        return redirect("console:login")
    if not user_has_device(user):
        return render(request, "console/no_second_factor.html", status=403)
    form = SecondFactorForm(user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_next_url(request))
    return render(request, "console/verify.html", {"form": form, "next": _next_url(request)})


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("console:login")


@staff_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    policy, _ = active_policy()
    roles = set(user.role_names)  # type: ignore[union-attr]
    panels = [
        ("Customers", "/console/customers/", user.has_perm("accounts.view_customer_data")),
        ("Orders", "/console/orders/", user.has_perm("store.view_order")),
        ("Audit log", "/console/audit/", user.has_perm("audit.view_auditentry")),
        ("Support", "/console/support/", user.has_perm("support.view_ticket")),
        ("Campaigns", "/console/campaigns/", user.has_perm("comms.send_campaign")),
        ("Opt-out mail queue", "/console/mail/queue/", user.has_perm("comms.handle_optout_queue")),
        ("Web analytics", "/console/analytics/", bool(roles & set(report_readers(policy)))),
        (
            "Raw requests (diagnostics)",
            "/console/analytics/diagnostics/",
            roles & set(raw_ip_readers(policy)),
        ),
    ]
    return render(request, "console/dashboard.html", {"panels": [p for p in panels if p[2]]})


@staff_view("accounts.view_customer_data")
@audited_read(
    "console.customers.list",
    categories=["user.contact.email", "user.unique_id"],
    use="essential.service.operations.support",
    clauses=["QS-3"],
)
def customers(request: HttpRequest) -> HttpResponse:
    rows = list(customer_list(search=request.GET.get("q", ""))[:200])
    request.audited_subjects.extend(c.customer_number or str(c.pk) for c in rows)  # type: ignore[attr-defined]
    return render(
        request, "console/customers.html", {"customers": rows, "q": request.GET.get("q", "")}
    )


@staff_view("audit.view_auditentry")
@audited_read(
    "console.audit.list",
    categories=["user.unique_id"],
    use="essential.service.security",
    clauses=["QS-3"],
)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = list(audit_entries(subject=request.GET.get("subject", ""))[:200])
    request.audited_subjects.extend(sorted({e.subject for e in entries if e.subject}))  # type: ignore[attr-defined]
    verdict = (
        chain_verify()
        if request.GET.get("verify") and request.user.has_perm("audit.verify_chain")
        else None
    )
    return render(request, "console/audit.html", {"entries": entries, "verdict": verdict})


@staff_view("store.view_order")
@audited_read(
    "console.orders.list",
    categories=["user.unique_id", "user.financial.credit_card"],
    use="essential.service.payment_processing",
    clauses=["QS-3", "QS-5", "SITE-2"],
)
def orders(request: HttpRequest) -> HttpResponse:
    """Orders for billing staff; a card is only ever shown as brand and last four."""
    q = request.GET.get("q", "")
    rows = list(orders_for_billing(search=q)[:200])
    request.audited_subjects.extend(  # type: ignore[attr-defined]
        sorted({o.customer.customer_number or str(o.customer_id) for o in rows})
    )
    shown = [(o, money(o.total_minor, o.currency)) for o in rows]
    return render(request, "console/orders.html", {"orders": shown, "q": q})
