"""Payments without an order, on billing's orders page: the checkouts whose automatic refund
failed or never finished, and billing's two answers (ask the processor again; record a refund
made in the processor's dashboard). See ``keepfaith.store.refunds``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from keepfaith.console import reads
from keepfaith.console.access import (
    closed_by_restriction,
    section_read,
    staff_actor,
    staff_read,
    staff_view,
    subject_opened,
)
from keepfaith.inforce import in_force
from keepfaith.store.pricing import money_here as money
from keepfaith.store.refunds import (
    REFERENCE_MAX,
    RefundCaseError,
    customer_of,
    refund_case,
    refund_record_by_hand,
    refund_retry,
    refunds_settled,
    refunds_to_check,
)

REFUND_PERMISSION = "store.refund_payments"


def refund_rows(request: HttpRequest) -> dict[str, Any] | None:
    """The orders page's section of payments without an order (None: the policy does not
    let this reader see it). Inside ``staff_read``: the section's read is audited with the
    page's, with the customers it shows."""
    if not section_read(request, reads.REFUNDS):
        return None
    cases = refunds_to_check()
    settled = refunds_settled()
    subjects = {case.subject for case in cases} | {item.subject for item in settled}
    closed = closed_by_restriction(request, subjects)
    numbers = {subject: customer_of(subject) for subject in subjects}
    left_out = [case for case in cases if case.subject in closed]
    erased = sum(1 for case in left_out if getattr(numbers[case.subject], "is_erased", False))
    cases = [case for case in cases if case.subject not in closed]
    settled = [item for item in settled if item.subject not in closed]
    request.audited_subjects.extend(sorted(subjects - closed))  # type: ignore[attr-defined]
    posted = _posted_pop(request)
    return {
        "posted": posted,
        "order_placed": any(item.order_number for item in settled),
        "settled": [
            {
                "item": item,
                "customer": numbers[item.subject],
                "amount": money(item.amount_minor, item.currency),
            }
            for item in settled
        ],
        "rows": [
            {
                "case": case,
                "customer": numbers[case.subject],
                "who": _who(numbers[case.subject]),
                "amount": money(case.amount_minor, case.currency),
                "posted": posted if posted.get("charge") == case.charge_reference else {},
            }
            for case in cases
        ],
        "restricted": len(left_out) - erased,
        "erased": erased,
        "may_refund": request.user.has_perm(REFUND_PERMISSION),
        "reference_max": REFERENCE_MAX,
    }


_POSTED = "console_refund_posted"
"""The session key of a refund answer that was refused: its form shows again with what was
typed and the error beside it (the page is reached by a redirect, so that a reload works)."""


def _posted_keep(request: HttpRequest, reference: str, decision: str, error: str) -> None:
    typed = request.POST.get("refund_reference", "")
    request.session[_POSTED] = {
        "charge": reference,
        "decision": decision,
        # what was typed, shown back in its field (a hostile value only as printable text)
        "refund_reference": "".join(c for c in typed[: REFERENCE_MAX * 2] if c.isprintable()),
        "error": error,
    }


def _posted_pop(request: HttpRequest) -> dict[str, str]:
    found = request.session.pop(_POSTED, None) if hasattr(request, "session") else None
    return found if isinstance(found, dict) else {}


def _who(customer: Any) -> str:
    """Whom a refund goes to, as its confirmation names them."""
    number = getattr(customer, "customer_number", "") or ""
    if number:
        return _("customer %(number)s") % {"number": number}
    return _("an account that no longer exists")


@staff_view(REFUND_PERMISSION)
@staff_read(reads.REFUNDS)
def refund_resolve(request: HttpRequest, reference: str) -> HttpResponse:
    """Billing's answer to one payment without an order: ``retry`` asks the processor again,
    ``by_hand`` records the reference of a refund made in the processor's dashboard. Either
    moves money or says it moved, so it goes only with the box that names the customer and
    the amount ticked (checked here: nothing is done without it). A refused answer goes back
    to the orders page with its form as it was typed and the error beside it."""
    if request.method != "POST":  # the form's address opened: the page the form is on
        return redirect("console:orders")
    reference = reference[:100]
    case = refund_case(reference)
    if case is None:
        messages.error(request, _("This payment is no longer waiting for a refund."))
        return redirect("console:orders")
    subject_opened(request, case.subject)
    decision = request.POST.get("decision")
    if decision not in ("retry", "by_hand"):
        return HttpResponseBadRequest(_("Choose how to refund the payment."))
    shown = {"reference": reference, "amount": money(case.amount_minor, case.currency)}
    if request.POST.get("confirm") != "yes":
        _posted_keep(
            request,
            reference,
            decision,
            _(
                "Nothing was done: tick the box to confirm that you understand what happens "
                "to %(amount)s."
            )
            % shown,
        )
        return redirect(_orders_at(reference))
    now = in_force()
    gate = now.gate(actor=staff_actor(request))
    try:
        if decision == "by_hand":
            refund_record_by_hand(
                charge_reference=reference,
                refund_reference=request.POST.get("refund_reference", ""),
                actor=staff_actor(request),
                policy=now.policy,
                gate=gate,
            )
            messages.success(
                request, _("Payment %(reference)s: the refund by hand is recorded.") % shown
            )
        elif refund_retry(
            charge_reference=reference, actor=staff_actor(request), policy=now.policy, gate=gate
        ):
            messages.success(request, _("Payment %(reference)s: %(amount)s was refunded.") % shown)
        else:
            messages.error(
                request,
                _(
                    "Payment %(reference)s: the payment processor did not make the refund "
                    "this time either. Refund it in the processor's dashboard and record it here."
                )
                % shown,
            )
    except RefundCaseError as error:
        if decision == "by_hand" and refund_case(reference) is not None:
            _posted_keep(request, reference, decision, _refund_error(error))
            return redirect(_orders_at(reference))
        messages.error(request, _refund_error(error))
    return redirect("console:orders")


def _orders_at(reference: str) -> str:
    """The orders page at the refused answer's form."""
    return f"{reverse('console:orders')}#refund-form-{reference}"


def _refund_error(error: RefundCaseError) -> str:
    """The error in the staff member's language."""
    words = {
        "this payment is not waiting for a refund": _(
            "This payment is no longer waiting for a refund."
        ),
        "give the refund's reference from the payment processor": _(
            "Give the refund's reference from the payment processor."
        ),
        "a refund reference is letters, digits and punctuation": _(
            "A refund reference is letters, digits and punctuation."
        ),
        "this payment's customer no longer exists": _("This payment's customer no longer exists."),
        "this payment has an order: there is nothing to refund": _(
            "This payment has an order after all: there is nothing to refund."
        ),
    }
    text = str(error)
    if text.startswith("the refund may not go to the processor: "):
        reason = text.split(": ", 1)[1]
        return _("The refund may not go to the payment processor: %(reason)s") % {"reason": reason}
    return words.get(text, text)
