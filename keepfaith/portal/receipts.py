"""After checkout: the thank-you page, the invoice (a print page) and the cancelling of an
order that still waits for the customer's go-ahead to an outside party (BE-10).

The invoice names the seller as the policy's controller (legal name, trading name, address)
with the VAT number the catalogue states, the buyer's billing details from the order, each
line with the product's name in the page's language, net, VAT and total.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.store.catalog import Catalog
from keepfaith.store.models import Order, RenewalCharge
from keepfaith.store.ordercancel import (
    OrderNotCancellable,
    RefundFailed,
    RefundRefused,
    order_cancel_waiting,
)
from keepfaith.store.pricing import money
from keepfaith.store.selectors import active_catalog, line_words, order_of


def _lang() -> str:
    return (get_language() or "en")[:2]


def _order(request: HttpRequest, number: str) -> Order:
    found = order_of(customer_of(request), number)
    if found is None:
        raise Http404("no such order")
    return found


def _lines(order: Order, catalog: Catalog, lang: str) -> list[dict[str, Any]]:
    rows = []
    for line in order.lines.all():
        rows.append(
            {
                # product, options and term, in the reader's language
                "name": line_words(line, catalog, lang),
                "quantity": line.quantity,
                "unit": money(line.unit_minor, order.currency, lang=lang),
                "total": money(line.total_minor, order.currency, lang=lang),
            }
        )
    return rows


def _amounts(order: Order, lang: str) -> dict[str, str]:
    return {
        "net": money(order.subtotal_minor, order.currency, lang=lang),
        "vat": money(order.vat_minor, order.currency, lang=lang),
        "total": money(order.total_minor, order.currency, lang=lang),
    }


@enforces("SITE-2")
@login_required
def order_thanks(request: HttpRequest, number: str) -> HttpResponse:
    """Where checkout ends: what was bought, what happens next, where the invoice is."""
    order = _order(request, number)
    lang = _lang()
    catalog = active_catalog(policy=in_force().policy)
    context = {
        "order": order,
        "lines": _lines(order, catalog, lang),
        "amounts": _amounts(order, lang),
        "waiting": order.status == "waiting",
    }
    return render(request, "portal/order_thanks.html", context)


@enforces("SITE-2")
@login_required
def order_invoice(request: HttpRequest, number: str) -> HttpResponse:
    """The invoice as a page to print (or save as PDF from the browser's print dialogue)."""
    order = _order(request, number)
    lang = _lang()
    catalog = active_catalog(policy=in_force().policy)
    context = {
        "order": order,
        "invoice": {"number": order.number, "date": order.paid_at, "whole_order": True},
        "lines": _lines(order, catalog, lang),
        "amounts": _amounts(order, lang),
        "seller": _seller(catalog),
        "vat_rate": order.vat_rate.normalize(),
    }
    return render(request, "portal/order_invoice.html", context)


def _seller(catalog: Catalog) -> dict[str, Any]:
    controller = in_force().policy.controller
    return {
        "legal_name": controller.legal_name,
        "trading_name": (controller.trading_names or (controller.legal_name,))[0],
        "address": controller.postal_address,
        "vat_number": catalog.vat.seller_vat_number,
        "email": catalog.vat.seller_email or controller.privacy_email,
    }


@enforces("SITE-2")
@login_required
def renewal_invoice(request: HttpRequest, number: str, charge: int) -> HttpResponse:
    """The invoice of one renewal charge of the order (numbered after the order: the
    order's number, ``-R`` and the charge's place among the order's renewals)."""
    order = _order(request, number)
    charges = RenewalCharge.objects.filter(renewal__line__order=order).order_by("charged_at", "pk")
    found = next(((n, c) for n, c in enumerate(charges.select_related("renewal__line"), 1)
                  if c.pk == charge), None)  # fmt: skip
    if found is None:
        raise Http404("no such renewal charge")
    place, paid = found
    lang = _lang()
    catalog = active_catalog(policy=in_force().policy)
    period = f"{date_format(paid.period_start)} \u2013 {date_format(paid.period_end)}"  # a dash
    what = line_words(paid.renewal.line, catalog, lang)
    net = money(paid.net_minor, paid.currency, lang=lang)
    context = {
        "order": order,
        "invoice": {"number": f"{order.number}-R{place}", "date": paid.charged_at},
        "lines": [
            {
                "name": _("Renewal of %(what)s, %(period)s") % {"what": what, "period": period},
                "quantity": 1,
                "unit": net,
                "total": net,
            }
        ],
        "amounts": {
            "net": net,
            "vat": money(paid.vat_minor, paid.currency, lang=lang),
            "total": money(paid.total_minor, paid.currency, lang=lang),
        },
        "seller": _seller(catalog),
        "vat_rate": order.vat_rate.normalize(),
    }
    return render(request, "portal/order_invoice.html", context)


@enforces("BE-10")
@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Cancel an order that waits for the go-ahead: nothing has gone to the outside party and
    nothing will. GET asks, POST cancels."""
    order = _order(request, number)
    if request.method == "POST":
        try:
            customer, now = customer_of(request), in_force()
            cancelled = order_cancel_waiting(
                order=order,
                customer=customer,
                policy=now.policy,
                gate=now.gate(actor=Actor("customer", customer.subject_ref)),
            )
        except OrderNotCancellable:
            messages.error(request, _("This order can no longer be cancelled here."))
        except RefundRefused as refused:
            messages.error(
                request,
                _(
                    "While the use of your data is restricted, we may not send the refund to "
                    "the card processor, so the order is not cancelled. Please write to us "
                    "through support and we will sort it out with you."
                )
                if refused.by_choice
                else _(
                    "Our privacy policy does not let us send this refund to the card "
                    "processor just now, so the order is not cancelled. Please write to us "
                    "through support and we will sort it out with you."
                ),
            )
        except RefundFailed:
            messages.error(
                request,
                _(
                    "We could not refund your payment just now, so the order is not cancelled: "
                    "it still waits for your go-ahead. Please try again in a moment."
                ),
            )
        else:
            if cancelled.refunded_minor:
                refunded = money(cancelled.refunded_minor, cancelled.currency, lang=_lang())
                messages.success(
                    request,
                    _(
                        "Your order is cancelled. Nothing was sent on. We refunded %(amount)s "
                        "to the card you paid with."
                    )
                    % {"amount": refunded},
                )
            else:
                messages.success(request, _("Your order is cancelled. Nothing was sent on."))
        return redirect("portal:order", number=order.number)
    lang = _lang()
    context = {"order": order, "amounts": _amounts(order, lang)}
    return render(request, "portal/order_cancel.html", context)
