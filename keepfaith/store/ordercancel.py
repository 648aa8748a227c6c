"""Cancelling an order that still waits for the customer's go-ahead to an outside party (BE-10).

Such an order has sent nothing: no transfer is queued before the go-ahead. Cancelling closes
that door for good (``outside_party_go_ahead`` ignores a cancelled order), ends the order's
renewals, refunds the payment to the card it was paid with and records the cancellation and
the refund in the audit log.

The refund goes to the payment processor of the policy in force (``vault.gateway``), naming
the order's charge by its reference (no card data), after the gate allows the processor that
use of the card payment (and audits it, like the charge), inside the cancel's transaction with
the order locked: if the processor refuses, nothing changes and the order still waits. The
processor refunds a charge once (idempotent on its reference), so a double submit pays back
once; the second finds the order cancelled. A free order refunds nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import Decision, Gate, PolicyViolation
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.store.emails import send_cancel_notice
from keepfaith.store.models import Order, OrderStatus, OutsideTransfer, Renewal
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE, payment_processor
from keepfaith.vault.processors import ProcessorError, RefundResult

log = logging.getLogger(__name__)

__all__ = ["OrderNotCancellable", "RefundFailed", "RefundRefused", "order_cancel_waiting"]


class OrderNotCancellable(Exception):
    """Only an order that still waits for the go-ahead (nothing sent) can be cancelled."""


class RefundFailed(Exception):
    """The processor did not refund the payment: the order is left as it was (waiting)."""


class RefundRefused(RefundFailed):
    """The gate refused sending the refund to the processor: nothing was sent, the order is
    left as it was. ``by_choice``: because of the customer's own choice (a restriction of
    processing, Art. 18), not because the policy lacks the use or the recipient."""

    def __init__(self, reason: str, *, by_choice: bool) -> None:
        super().__init__(reason)
        self.by_choice = by_choice


def _refund_refusal(order: Order, policy: Policy, gate: Gate, subject: str) -> Decision | None:
    """The gate's refusal of sending ``order``'s refund to the processor, or None when it
    allows it (or there is nothing to refund). Asked on the locked order, once it is known to
    be cancellable; audited either way."""
    if not order.total_minor or not order.payment_reference:
        return None
    decision = gate.check(
        use=PAYMENT_USE,
        categories=[CARD_CATEGORY],
        subject=subject,
        recipient=payment_processor(policy=policy).name,
        purpose_context=f"refund {order.number}",
    )
    return None if decision.allowed else decision


def _refund(order: Order, policy: Policy) -> RefundResult | None:
    if not order.total_minor:
        return None
    if not order.payment_reference:
        raise RefundFailed("the order's payment has no processor reference to refund")
    try:
        return payment_processor(policy=policy).refund(
            charge_reference=order.payment_reference,
            amount_minor=order.total_minor,
            currency=order.currency,
        )
    except ProcessorError as error:
        raise RefundFailed(str(error)) from None


@enforces("BE-10")
def order_cancel_waiting(*, order: Order, customer: User, policy: Policy, gate: Gate) -> Order:
    """Cancel ``order`` (``customer``'s, still waiting for the go-ahead) and refund its
    payment through the processor ``policy`` (the one in force) declares, as ``gate``
    (of that policy) allows."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk, customer=customer)
        if locked.status != OrderStatus.WAITING or locked.go_ahead_given:
            raise OrderNotCancellable("only an order waiting for your go-ahead can be cancelled")
        if OutsideTransfer.objects.filter(order=locked).exists():  # never, before a go-ahead
            raise OrderNotCancellable("this order's details are already on their way")
        refused = _refund_refusal(locked, policy, gate, customer.subject_ref)
        if refused is None:
            _cancel(locked, customer, policy)
            try:  # the refund went out: a mail the gate refuses must not undo the cancel
                send_cancel_notice(order=locked, customer=customer, policy=policy, gate=gate)
            except PolicyViolation as refusal:
                log.error("cancellation notice for %s not sent: %s", locked.number, refusal)
    if refused is not None:  # after the block: the refusal's audit entry is committed
        raise RefundRefused(refused.reason, by_choice=refused.choice_state is not None)
    return locked


def _cancel(locked: Order, customer: User, policy: Policy) -> None:
    """Refund and cancel the locked order, in the caller's transaction."""
    refund = _refund(locked, policy)
    locked.status = OrderStatus.CANCELLED
    fields = ["status"]
    if refund is not None:
        locked.refund_reference, locked.refunded_minor = refund.reference, refund.amount_minor
        locked.refunded_at = timezone.now()
        fields += ["refund_reference", "refunded_minor", "refunded_at"]
    locked.save(update_fields=fields)
    Renewal.objects.filter(line__order=locked).delete()
    audit_append(
        actor=Actor("customer", customer.subject_ref),
        action="store.order_cancel",
        outcome="cancelled",
        subject=customer.subject_ref,
        use=PAYMENT_USE,
        clauses=["BE-10", "SITE-2"],
        detail={
            "order": locked.number,
            "refund_due_minor": locked.total_minor,
            "refunded_minor": locked.refunded_minor,
            "refund_reference": locked.refund_reference,
            "charge_reference": locked.payment_reference,
            "currency": locked.currency,
            "outside_party": locked.outside_party,
        },
    )
