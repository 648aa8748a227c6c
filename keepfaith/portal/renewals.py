"""Renewing a service from the customer's order page (SITE-2): what it costs, for which
period, confirmed before anything is charged; automatic renewal only when turned on."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.certs.ordering import certificates_renew_paid
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.store.catalog import text_in
from keepfaith.store.errors import CheckoutError
from keepfaith.store.models import Order, OrderStatus, Renewal, RenewalCharge
from keepfaith.store.pricing import money
from keepfaith.store.renewals import (
    RenewalQuote,
    renewal_automatic_set,
    renewal_charge,
    renewal_quote,
    renewal_rules,
)
from keepfaith.store.selectors import active_catalog, line_trial_days, order_line_at, order_of


@dataclass(frozen=True)
class RenewalRow:
    """One renewal as the order page shows it."""

    renewal: Renewal
    line: int  # the line's place in its order: the address names it by that
    quote: RenewalQuote
    amounts: dict[str, str]
    charges: list[tuple[RenewalCharge, str]]
    automatic_offered: bool
    # A free trial: it ends at ``renewal.due`` and is kept by ordering ``keep_as`` (the
    # product it renews as: id and name in the page's language) from the shop.
    trial: bool = False
    keep_as: tuple[str, str] | None = None


def order_renewals(*, order: Order, lang: str) -> list[RenewalRow]:
    """The order's renewals with today's quote and the periods already paid (none for a
    cancelled order: nothing of it runs or renews)."""
    if order.status == OrderStatus.CANCELLED:
        return []
    policy = in_force().policy
    catalog = active_catalog(policy=policy)
    offered = renewal_rules(policy).automatic_use is not None
    rows = []
    for place, line in enumerate(order.lines.all(), start=1):
        renewal = getattr(line, "renewal", None)
        if renewal is None:
            continue
        quote = renewal_quote(renewal=renewal, policy=policy)
        charges = [(c, money(c.total_minor, c.currency, lang=lang)) for c in renewal.charges.all()]
        trial = bool(line_trial_days(line, catalog))
        target = catalog.product(renewal.product_id) if trial else None
        keep_as = (target.id, text_in(target.name, lang)) if target is not None else None
        rows.append(
            RenewalRow(renewal, place, quote, quote.money(lang), charges, offered, trial, keep_as)
        )
    return rows


def _owned(request: HttpRequest, number: str, line: int) -> tuple[User, Order, Renewal]:
    user = request.user
    if not isinstance(user, User) or user.is_staff:
        raise Http404("no such renewal")
    order = order_of(user, number)
    found = order_line_at(order, line) if order else None
    renewal = getattr(found, "renewal", None) if found else None
    if order is None or renewal is None:
        raise Http404("no such renewal")
    return user, order, renewal


def _trial(renewal: Renewal) -> bool:
    """A free trial is not renewed: it ends, and the order page says how to keep it."""
    return bool(line_trial_days(renewal.line, active_catalog(policy=in_force().policy)))


@enforces("SITE-2", "QS-5")
@login_required
@require_http_methods(["GET", "POST"])
def renewal_confirm(request: HttpRequest, number: str, line: int) -> HttpResponse:
    """GET: what renewing costs and for which period. POST: the customer's confirmation of
    exactly that period; charged once, however often it is sent."""
    user, order, renewal = _owned(request, number, line)
    if _trial(renewal):
        return redirect("portal:order", number=order.number)
    now = in_force()
    lang = now.language(get_language())
    error, status = "", 200
    if request.method == "POST":
        shown = parse_date(request.POST.get("period_start", "") or "")
        if request.POST.get("confirm") != "yes" or shown is None:
            error, status = _("Tick the box to confirm the renewal."), 400
        else:
            actor = Actor("customer", user.subject_ref)
            try:
                renewal_charge(
                    renewal=renewal,
                    period_start=shown,
                    actor=actor,
                    gate=now.gate(actor=actor),
                    policy=now.policy,
                )
            except (CheckoutError, PolicyViolation) as exc:
                error, status = str(exc), 400
            else:
                certificates_renew_paid(line=renewal.line, actor=actor, gate=now.gate(actor=actor))
                messages.success(
                    request, _("Thank you: your renewal is paid. A receipt is on its way.")
                )
                return redirect("portal:order", number=order.number)
        renewal.refresh_from_db()
    quote = renewal_quote(renewal=renewal, policy=now.policy)
    context = {
        "order": order,
        "renewal": renewal,
        "quote": quote,
        "amounts": quote.money(lang),
        "error": error,
    }
    return render(request, "portal/renewal_confirm.html", context, status=status)


@enforces("SITE-2", "QS-5", features=("choices.order-pages",))
@login_required
@require_POST
def renewal_automatic(request: HttpRequest, number: str, line: int) -> HttpResponse:
    """Turn automatic renewal of one service on or off (recorded in the consent ledger)."""
    user, order, renewal = _owned(request, number, line)
    if _trial(renewal):
        return redirect("portal:order", number=order.number)
    on = request.POST.get("automatic") == "on"
    if on != renewal.automatic:
        now = in_force()
        renewal_automatic_set(
            renewal=renewal,
            on=on,
            actor=Actor("customer", user.subject_ref),
            policy=now.policy,
            version=now.version,
        )
        text = (
            _("Automatic renewal is on: we remind you before each charge.")
            if on
            else _("Automatic renewal is off: nothing is charged without your confirmation.")
        )
        messages.success(request, text)
    return redirect("portal:order", number=order.number)
