"""One customer and one order, as staff open them from the lists (QS-3, QS-4, QS-5).

The page itself is one audited read (who the customer is); every further section (a contact
detail, orders, consent history, tickets) is shown only when the policy lets one of the
reader's roles read it, and is then audited as its own read naming the customer. A section
the role may not read is not read at all, and the page says it is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from keepfaith.accounts.models import CONTACT_FIELDS
from keepfaith.accounts.selectors import contact_history, customer_by_number
from keepfaith.consent import words
from keepfaith.consent.selectors import consent_history, is_restricted
from keepfaith.console import reads
from keepfaith.console.access import (
    may_read,
    section_read,
    staff_read,
    staff_view,
    subject_opened,
)
from keepfaith.gate import RESTRICTION_KEY
from keepfaith.inforce import in_force
from keepfaith.policy.schema import text_in
from keepfaith.policy.trace import enforces
from keepfaith.store.pricing import money_here as money
from keepfaith.store.selectors import orders_for_billing
from keepfaith.support.selectors import customer_tickets

FIELD_LABELS = {
    "full_name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "organization": gettext_lazy("Organisation"),
    "postal_address": gettext_lazy("Postal address"),
}


@dataclass(frozen=True)
class ContactRow:
    label: str
    value: str


def _use_label(key: str) -> str:
    """What a consent event is about, in the policy's words and the reader's language: a
    use's name, the go-ahead for an outside party by its name (never a key)."""
    policy = in_force().policy
    if key.startswith(words.GO_AHEAD_PREFIX):
        party = key.removeprefix(words.GO_AHEAD_PREFIX)
        name = policy.recipient_name(party, (get_language() or "en")[:2]) or party
        return _("Go-ahead to send the details to %(party)s") % {"party": name}
    return words.choice_name(policy, key)


_SOURCES = {
    "web": gettext_lazy("Website"),
    "portal": gettext_lazy("The customer's account pages"),
    "email": gettext_lazy("E-mail"),
    "one-click": gettext_lazy("Unsubscribe link in an e-mail"),
    "gpc": gettext_lazy("The browser's Global Privacy Control signal"),
    "staff": gettext_lazy("Staff, at the customer's request"),
    "checkout": gettext_lazy("Checkout"),
    "signup": gettext_lazy("Sign-up"),
}


def _source_label(source: str) -> str:
    """Where a consent event was recorded, in the staff's words."""
    if source.startswith(words.FORM_PREFIX):
        form = source.removeprefix(words.FORM_PREFIX)
        point = in_force().policy.collection_point_by_id(form)
        name = text_in(point.name, (get_language() or "en")[:2]) if point is not None else form
        return _("Form “%(form)s”") % {"form": name}
    if source.startswith(words.RIGHTS_PREFIX):
        return _("Request %(reference)s") % {"reference": source.removeprefix(words.RIGHTS_PREFIX)}
    return str(_SOURCES.get(source, source))


def _event_label(event: Any) -> str:
    """A consent event in words; a restriction is started or lifted, not "opted out"."""
    if event.key == RESTRICTION_KEY:
        return str(
            _("restriction started") if event.event == "opted-out" else _("restriction lifted")
        )
    return str(_(event.get_event_display()))


def _contact(request: HttpRequest, customer: Any) -> tuple[list[ContactRow], list[Any], bool]:
    """The contact details the reader's roles may see, their history, and whether any was
    left out."""
    shown = [f for f in CONTACT_FIELDS if section_read(request, reads.contact_field_read(f))]
    erased = customer.is_erased  # the address left is a placeholder, no one's

    def value(field: str) -> str:
        if erased and field == "email":
            return _("(erased)")
        return getattr(customer, field) or ""

    rows = [ContactRow(str(FIELD_LABELS[f]), value(f)) for f in shown]
    history = [
        {"at": c.at, "label": FIELD_LABELS[c.field], "old": c.old, "new": c.new}
        for c in contact_history(customer=customer).filter(field__in=shown)[:200]
    ]
    return rows, history, len(shown) < len(CONTACT_FIELDS)


@enforces("QS-3", "QS-4")
@staff_view()
@staff_read(reads.CUSTOMER)
def customer_detail(request: HttpRequest, number: str) -> HttpResponse:
    customer = customer_by_number(number=number)
    if customer is None:
        raise Http404("no such customer")
    subject_opened(request, customer.subject_ref)
    contact, history, contact_hidden = _contact(request, customer)
    context: dict[str, Any] = {
        "customer": customer,
        "contact": contact,
        "history": history,
        "contact_hidden": contact_hidden,
        "restricted": is_restricted(subject=customer.subject_ref),
        "orders": None,
        "consent": None,
        "tickets": None,
    }
    if section_read(request, reads.CUSTOMER_ORDERS):
        rows = orders_for_billing().filter(customer=customer)[:100]
        context["orders"] = [(o, money(o.total_minor, o.currency)) for o in rows]
    if section_read(request, reads.CONSENT_HISTORY):
        events = consent_history(subject=customer.subject_ref)[:200]
        context["consent"] = [
            (e, _use_label(e.key), _source_label(e.source), _event_label(e)) for e in events
        ]
    if section_read(request, reads.CUSTOMER_TICKETS):
        context["tickets"] = list(customer_tickets(customer=customer)[:100])
        context["open_tickets"] = may_read(request, reads.TICKET)
    return render(request, "console/customer.html", context)


@enforces("QS-3", "QS-5")
@staff_view()
@staff_read(reads.ORDER)
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One order for billing: lines, the payment, each renewal and its charges."""
    order = orders_for_billing().filter(number=number[:16]).first()
    if order is None:
        raise Http404("no such order")
    subject_opened(request, order.customer.subject_ref)
    lines = []
    for line in order.lines.all():
        renewal = getattr(line, "renewal", None)
        charges = list(renewal.charges.all()) if renewal is not None else []
        lines.append(
            {
                "line": line,
                "unit": money(line.unit_minor, order.currency),
                "total": money(line.total_minor, order.currency),
                "renewal": renewal,
                "charges": [(c, money(c.total_minor, c.currency)) for c in charges],
            }
        )
    context = {
        "order": order,
        "lines": lines,
        "subtotal": money(order.subtotal_minor, order.currency),
        "vat": money(order.vat_minor, order.currency),
        "total": money(order.total_minor, order.currency),
    }
    return render(request, "console/order.html", context)
