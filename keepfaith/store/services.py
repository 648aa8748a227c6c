"""Writes of the shop: placing an order (renewals: ``keepfaith.store.renewals``).

Rules kept here:

- Everything is checked before anything is written or charged: the cart against the
  catalogue (prices come from the catalogue only), the card (number, expiry, security code),
  the details an outside party needs, and the customer's explicit choice about that party.
- One checkout token, one order, one charge: the token is the processor's idempotency key
  and is unique on the order, so a double submit gets the first order and the processor
  returns the first charge instead of charging again.
- The card is charged before the order is written; a declined card leaves no order. The
  order, its lines, renewals and the stored card are written in one transaction.
- The security code is passed to the processor in memory and never stored (PCI DSS 3.3.1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import Gate, PolicyViolation
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.store.cart import line_configuration
from keepfaith.store.catalog import Catalog
from keepfaith.store.emails import send_order_receipt
from keepfaith.store.errors import CheckoutError
from keepfaith.store.models import Order, OrderLine, OrderStatus, Renewal
from keepfaith.store.outside import outside_party_go_ahead, validation_fields_check
from keepfaith.store.pricing import PricedLine, Totals, configuration_validate, line_price
from keepfaith.store.pricing import order_totals as totals_of
from keepfaith.store.refunds import refund_begun, refund_entry
from keepfaith.vault.cards import CardExpiry, CardNumber, SecurityCode
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE, payment_processor
from keepfaith.vault.processors import ChargeResult, ProcessorError
from keepfaith.vault.services import card_keep
from keepfaith.versions.models import PolicyVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payment:
    """The card for one checkout, validated, held in memory only (see ``cards.py``)."""

    card: CardNumber
    expiry: CardExpiry
    security_code: SecurityCode


DECLINE_MESSAGES = {
    "insufficient_funds": gettext_lazy("the card was declined for insufficient funds"),
    "do_not_honour": gettext_lazy("the card was declined by its bank"),
    "expired_card": gettext_lazy("the card has expired"),
    "processing_error": gettext_lazy(
        "the payment could not be processed just now; please try again"
    ),
    "unknown_token": gettext_lazy("the card was not recognised"),
}


def _one_trial(customer: User, lines: Sequence[PricedLine]) -> None:
    """A free trial is one per customer: one line of one, and none after an earlier order of
    it (a cancelled one included: it was free to try)."""
    trials = [line.product.id for line in lines if line.product.trial_days]
    if not trials:
        return
    if len(trials) > 1 or any(
        line.configuration.quantity > 1 for line in lines if line.product.trial_days
    ):
        raise CheckoutError(_("a free trial is one per customer: remove the extra one"))
    earlier = OrderLine.objects.filter(order__customer=customer, product_id__in=trials).first()
    if earlier is not None:
        raise CheckoutError(
            _("you have had the free trial already (order %(number)s); remove it from the cart")
            % {"number": earlier.order.number}
        )


def _priced(catalog: Catalog, cart: Sequence[Mapping[str, Any]]) -> list[PricedLine]:
    if not cart:
        raise CheckoutError(_("your cart is empty"))
    # An order line keeps the words of the language it was bought in (the invoice's).
    lang = (get_language() or "en")[:2]
    return [line_price(catalog, line_configuration(catalog, line), lang=lang) for line in cart]


def _outside_party(lines: Sequence[PricedLine]) -> str:
    parties = {line.product.outside_party for line in lines if line.product.outside_party}
    if len(parties) > 1:
        raise CheckoutError(_("order products for different outside parties separately"))
    return parties.pop() if parties else ""


@sensitive_variables("payment")
def _charge(
    totals: Totals,
    catalog: Catalog,
    payment: Payment | None,
    token: str,
    customer: User,
    gate: Gate,
    policy: Policy,
) -> ChargeResult:
    """Charge the card; the gate is asked (and audits) before the number reaches the processor."""
    if payment is None:
        raise CheckoutError(_("enter the card to pay with"))
    processor = payment_processor(policy=policy)
    gate.require(
        use=PAYMENT_USE,
        categories=[CARD_CATEGORY],
        subject=customer.subject_ref,
        recipient=processor.name,
        purpose_context=f"checkout {token[:12]}",
    )
    try:
        result = processor.charge(
            amount_minor=totals.total_minor,
            currency=catalog.currency,
            card=payment.card,
            security_code=payment.security_code,
            idempotency_key=token,
            expiry=payment.expiry,
        )
    except ProcessorError:
        raise CheckoutError(
            _("this checkout was already used for another payment; reload the checkout page")
        ) from None
    if not result.approved:
        reason = result.decline_reason.value if result.decline_reason else ""
        message = str(DECLINE_MESSAGES.get(reason, _("the card was declined")))
        raise CheckoutError(
            _("%(reason)s; nothing was charged and no order was placed") % {"reason": message}
        )
    return result


def _renewal_for(line: OrderLine, priced: PricedLine, catalog: Catalog, paid: date) -> None:
    renewal = priced.product.renewal
    if renewal is None:
        return
    target = catalog.product(renewal.product) if renewal.product else priced.product
    if target is None:
        return
    if priced.product.trial_days:
        due, months = paid + timedelta(days=priced.product.trial_days), target.terms[0].months
    else:
        due, months = paid + timedelta(days=round(30.44 * line.term_months)), line.term_months
    values = dict(priced.configuration.options) if target is priced.product else {}
    base = line_price(
        catalog,
        configuration_validate(
            catalog, product_id=target.id, options=values, term_months=months, quantity=1
        ),
    ).unit_minor
    price = base * (100 - renewal.discount_percent) // 100 * line.quantity
    Renewal.objects.create(
        line=line, due=due, product_id=target.id, price_minor=price, term_months=months
    )


def stale_checkout_message() -> str:
    """Said when a checkout names an order that is not this one (in the active language)."""
    return _("This checkout page is out of date: check your cart and order again.")


@enforces("SITE-2", "QS-5")
@sensitive_variables("payment")
def order_place(
    *,
    customer: User,
    catalog: Catalog,
    cart: Sequence[Mapping[str, Any]],
    checkout_token: str,
    payment: Payment | None,
    validation: Mapping[str, str] | None = None,
    go_ahead: bool | None = None,
    billing: Mapping[str, str] | None = None,
    on_write: Callable[[Order], object] | None = None,
    gate: Gate,
    policy: Policy,
    version: PolicyVersion | None,
) -> Order:
    """Place one order for the cart and charge it once (see the module docstring), under
    ``policy`` (the one in force, published as ``version``) asking ``gate``. ``billing``:
    the invoice details; ``on_write(order)`` runs in the order's transaction (the checkout
    form's consent record)."""
    earlier = Order.objects.filter(checkout_token=checkout_token, customer=customer).first()
    if earlier is not None:
        return earlier
    if Order.objects.filter(checkout_token=checkout_token).exists():  # not this customer's
        raise CheckoutError(stale_checkout_message())
    lines = _priced(catalog, cart)
    _one_trial(customer, lines)
    totals = totals_of(catalog, lines)
    party = _outside_party(lines)
    details: dict[str, str] = {}
    if party:
        if go_ahead is None:
            raise CheckoutError(_("choose whether to go on with the outside party named above"))
        details = validation_fields_check(
            lines=lines, values=validation or {}, policy=policy, go_ahead=go_ahead
        )
    result = None
    if totals.total_minor:
        result = _charge(totals, catalog, payment, checkout_token, customer, gate, policy)
    try:
        with transaction.atomic():
            # Checkouts of one customer queue here: a free trial taken in another tab, or
            # this checkout's charge refunded by a submit of it that failed, is seen.
            User.objects.select_for_update().filter(pk=customer.pk).first()
            _one_trial(customer, lines)
            if result is not None and refund_begun(
                subject=customer.subject_ref, charge_reference=result.reference
            ):
                raise CheckoutError(stale_checkout_message())
            order = _order_write(
                customer, catalog, lines, totals, checkout_token, result, payment, version
            )
            if billing:
                for field in ("billing_name", "billing_email", "billing_address"):
                    setattr(order, field, str(billing.get(field, ""))[:500])
                order.save(update_fields=["billing_name", "billing_email", "billing_address"])
            if on_write is not None:
                on_write(order)
            if party:
                order.outside_party, order.validation_details = party, details
                order.status = OrderStatus.WAITING
                order.save(update_fields=["outside_party", "validation_details", "status"])
                if go_ahead:
                    outside_party_go_ahead(
                        order=order,
                        actor=_customer_actor(customer),
                        policy=policy,
                        version=version,
                    )
            _receipt(order=order, policy=policy, gate=gate)
    except BaseException as failure:
        try:
            earlier = Order.objects.filter(checkout_token=checkout_token, customer=customer).first()
        except DatabaseError:  # what failed the order may fail this too: see _charge_undo
            earlier = None
        if isinstance(failure, IntegrityError) and earlier is not None:
            return earlier  # the same checkout submitted twice at once: the first one won
        returned = _charge_undo(result, totals, catalog, customer, policy, checkout_token)
        if isinstance(failure, CheckoutError) and returned is not None:
            raise CheckoutError(f"{failure}; {returned}") from None
        raise
    return order


def _charge_undo(
    result: ChargeResult | None,
    totals: Totals,
    catalog: Catalog,
    customer: User,
    policy: Policy,
    checkout_token: str,
) -> str | None:
    """Refund a charge whose order was not written, and say so in the customer's words (None:
    nothing to refund). A checkout never keeps a customer's money without an order.

    Under the customer's lock, as the order's transaction: an order of this checkout that
    was committed after all (a hook after the commit failed; another submit of it won)
    keeps its charge; otherwise the refund is recorded as begun before the processor is
    asked, so a submit of the same checkout still on its way places no order on it. When the
    database cannot answer (what failed the order often fails this too), the money goes back
    all the same, and the log names the charge. A refund the processor does not make is
    logged and audited with the charge's reference, for billing staff to make by hand."""
    if result is None:
        return None
    detail: dict[str, Any] = {
        "charge_reference": result.reference,
        "amount_minor": totals.total_minor,
        "currency": catalog.currency,
    }
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=customer.pk).first()
            if Order.objects.filter(checkout_token=checkout_token, customer=customer).exists():
                return None
            if refund_begun(
                subject=customer.subject_ref, charge_reference=result.reference
            ):  # another submit of it is refunding it
                return _("the payment is being refunded")
            _refund_audit(customer, "queued", detail)
    except DatabaseError as exc:
        logger.error(
            "charge %s: the database could not say whether its checkout placed an order (%s); "
            "refunding it",
            result.reference,
            exc,
        )
    try:
        refund = payment_processor(policy=policy).refund(
            charge_reference=result.reference,
            amount_minor=totals.total_minor,
            currency=catalog.currency,
        )
    except Exception as exc:
        logger.error("charge %s has no order and was not refunded: %s", result.reference, exc)
        _refund_audit(customer, "failed", {**detail, "reason": str(exc) or type(exc).__name__})
        return _(
            "the payment could not be refunded automatically: our billing staff will refund it"
        )
    _refund_audit(customer, "refunded", {**detail, "refund_reference": refund.reference})
    return _("the payment was refunded")


def _refund_audit(customer: User, outcome: str, detail: dict[str, Any]) -> None:
    """The refund's audit entry; one the database cannot take (``queued`` is written in a
    transaction that handles that) is logged instead, with the charge's reference."""
    try:
        refund_entry(
            actor=_customer_actor(customer),
            subject=customer.subject_ref,
            outcome=outcome,
            detail=detail,
        )
    except DatabaseError as exc:
        if outcome == "queued":
            raise
        logger.error(
            "charge %s: refund %s, but its audit entry was not written (%s)",
            detail["charge_reference"],
            outcome,
            exc,
        )


def _receipt(*, order: Order, policy: Policy, gate: Gate) -> None:
    """Queue the receipt with the order (it is sent after the commit); a refusal by the gate
    never undoes the order."""
    try:
        send_order_receipt(order=order, policy=policy, gate=gate)
    except PolicyViolation as exc:
        logger.error("the receipt of order %s was not sent: %s", order.number, exc)


def _customer_actor(customer: User) -> Actor:
    return Actor("customer", customer.subject_ref)


@sensitive_variables("payment")
def _order_write(
    customer: User,
    catalog: Catalog,
    lines: Sequence[PricedLine],
    totals: Totals,
    token: str,
    result: ChargeResult | None,
    payment: Payment | None,
    version: PolicyVersion | None,
) -> Order:
    subject = customer.subject_ref
    card = None
    if result is not None and payment is not None:
        card = card_keep(card=payment.card, subject=subject, card_token=result.card_token)
    order = Order.objects.create(
        customer=customer,
        status=OrderStatus.ACTIVE,
        currency=catalog.currency,
        subtotal_minor=totals.subtotal_minor,
        vat_rate=totals.vat_rate,
        vat_minor=totals.vat_minor,
        total_minor=totals.total_minor,
        checkout_token=token,
        card=card,
        payment_reference=result.reference if result else "",
        policy_version=version.label if version is not None else "",
    )
    _lines_write(order, lines, catalog)
    audit_append(
        actor=_customer_actor(customer),
        action="store.order_place",
        outcome="paid" if result else "free",
        subject=subject,
        categories=["user.financial.credit_card"] if card else [],
        use=PAYMENT_USE,
        clauses=["SITE-2", "QS-5"],
        detail={"order": order.number, "total": totals.total_minor, "card": str(card or "")},
    )
    return order


def _lines_write(order: Order, lines: Sequence[PricedLine], catalog: Catalog) -> None:
    # The day the order was paid, read from the order itself: a second look at the clock
    # could fall after midnight and move every renewal a day past the order's date.
    today = timezone.localdate(order.created)
    for priced in lines:
        line = OrderLine.objects.create(
            order=order,
            product_id=priced.product.id,
            description=priced.description[:300],
            options=dict(priced.configuration.options),
            term_months=priced.configuration.term_months,
            quantity=priced.configuration.quantity,
            unit_minor=priced.unit_minor,
            total_minor=priced.total_minor,
        )
        _renewal_for(line, priced, catalog, today)


def orders_erase(customer: User) -> None:
    """Blank what orders hold about the buyer (RIGHTS-17); the amounts stay for the books."""
    Order.objects.filter(customer=customer).update(
        billing_name="", billing_email="", billing_address="", validation_details={}
    )
