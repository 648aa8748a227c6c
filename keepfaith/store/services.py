"""Writes of the shop: placing an order, paying a renewal.

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
- A renewal is paid with the card on file, opened only for the declared processor.
"""

from __future__ import annotations

import functools
import logging
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import PolicyViolation
from keepfaith.gate.runtime import active_gate
from keepfaith.policy.trace import enforces
from keepfaith.store.cart import line_configuration
from keepfaith.store.catalog import Catalog
from keepfaith.store.emails import send_order_receipt
from keepfaith.store.errors import CheckoutError
from keepfaith.store.models import Order, OrderLine, OrderStatus, Renewal, RenewalStatus
from keepfaith.store.outside import outside_party_go_ahead, validation_fields_check
from keepfaith.store.pricing import PricedLine, Totals, configuration_validate, line_price
from keepfaith.store.pricing import order_totals as totals_of
from keepfaith.vault.cards import CardExpiry, CardNumber, SecurityCode
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE, payment_processor
from keepfaith.vault.processors import CardToken, ChargeResult, ProcessorError
from keepfaith.vault.services import card_for_processor, card_keep
from keepfaith.versions.selectors import active_version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payment:
    """The card for one checkout, validated, held in memory only (see ``cards.py``)."""

    card: CardNumber
    expiry: CardExpiry
    security_code: SecurityCode


DECLINE_MESSAGES = {
    "insufficient_funds": "the card was declined for insufficient funds",
    "do_not_honour": "the card was declined by its bank",
    "expired_card": "the card has expired",
    "processing_error": "the payment could not be processed just now; please try again",
    "unknown_token": "the card was not recognised",
}


def _priced(catalog: Catalog, cart: Sequence[Mapping[str, Any]]) -> list[PricedLine]:
    if not cart:
        raise CheckoutError("your cart is empty")
    return [line_price(catalog, line_configuration(catalog, line)) for line in cart]


def _outside_party(lines: Sequence[PricedLine]) -> str:
    parties = {line.product.outside_party for line in lines if line.product.outside_party}
    if len(parties) > 1:
        raise CheckoutError("order products for different outside parties separately")
    return parties.pop() if parties else ""


@sensitive_variables("payment")
@sensitive_variables("payment")
def _charge(
    totals: Totals, catalog: Catalog, payment: Payment | None, token: str, customer: User
) -> ChargeResult:
    """Charge the card; the gate is asked (and audits) before the number reaches the processor."""
    if payment is None:
        raise CheckoutError("enter the card to pay with")
    processor = payment_processor()
    active_gate(actor=_customer_actor(customer)).require(
        use=PAYMENT_USE,
        categories=[CARD_CATEGORY],
        subject=customer.customer_number or str(customer.pk),
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
            "this checkout was already used for another payment; reload the checkout page"
        ) from None
    if not result.approved:
        reason = result.decline_reason.value if result.decline_reason else ""
        message = DECLINE_MESSAGES.get(reason, "the card was declined")
        raise CheckoutError(f"{message}; nothing was charged and no order was placed")
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
    Renewal.objects.create(line=line, due=due, product_id=target.id, price_minor=price)


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
) -> Order:
    """Place one order for the cart and charge it once (see the module docstring)."""
    earlier = Order.objects.filter(checkout_token=checkout_token, customer=customer).first()
    if earlier is not None:
        return earlier
    lines = _priced(catalog, cart)
    totals = totals_of(catalog, lines)
    party = _outside_party(lines)
    details: dict[str, str] = {}
    if party:
        details = validation_fields_check(lines=lines, values=validation or {})
        if go_ahead is None:
            raise CheckoutError("choose whether to go on with the outside party named above")
    result = (
        _charge(totals, catalog, payment, checkout_token, customer) if totals.total_minor else None
    )
    try:
        with transaction.atomic():
            order = _order_write(customer, catalog, lines, totals, checkout_token, result, payment)
            if party:
                order.outside_party, order.validation_details = party, details
                order.status = OrderStatus.WAITING
                order.save(update_fields=["outside_party", "validation_details", "status"])
                if go_ahead:
                    outside_party_go_ahead(order=order, actor=_customer_actor(customer))
            transaction.on_commit(functools.partial(_receipt, order=order))
    except IntegrityError:  # the same checkout submitted twice at once: the first one won
        earlier = Order.objects.filter(checkout_token=checkout_token, customer=customer).first()
        if earlier is None:
            raise
        return earlier
    return order


def _receipt(*, order: Order) -> None:
    """Send the receipt once the order is stored; a mail failure never undoes the order."""
    try:
        send_order_receipt(order=order)
    except (OSError, smtplib.SMTPException, PolicyViolation) as exc:
        logger.error("the receipt of order %s was not sent: %s", order.number, exc)


def _customer_actor(customer: User) -> Actor:
    return Actor("customer", customer.customer_number or str(customer.pk))


@sensitive_variables("payment")
def _order_write(
    customer: User,
    catalog: Catalog,
    lines: Sequence[PricedLine],
    totals: Totals,
    token: str,
    result: ChargeResult | None,
    payment: Payment | None,
) -> Order:
    subject = customer.customer_number or str(customer.pk)
    card = None
    if result is not None and payment is not None:
        card = card_keep(card=payment.card, subject=subject, card_token=result.card_token)
    version = active_version()
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
    today = timezone.now().date()
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


def _renewal_charge_card(order: Order, processor_name: str, actor: Actor) -> CardNumber | CardToken:
    """The card on file for the processor: opened by the vault, or the processor's token."""
    assert order.card is not None
    if order.card.sealed:
        return card_for_processor(record=order.card, actor=actor, recipient=processor_name)
    stored = order.card.stored()
    return CardToken(order.card.processor_token, stored.brand, stored.last4)


@enforces("SITE-2", "QS-5")
def renewal_pay(*, renewal: Renewal, actor: Actor) -> Renewal:
    """Pay a due renewal with the order's card on file: the vault discloses the card to the
    declared processor only (gated, audited); no security code exists any more, none is sent.
    One renewal is charged once (its idempotency key is the renewal's own)."""
    if renewal.status == RenewalStatus.RENEWED:
        return renewal
    order = renewal.line.order
    if order.card is None:
        raise CheckoutError("this renewal has no card on file; renew it from the shop")
    processor = payment_processor()
    vat = int(
        (Decimal(renewal.price_minor) * order.vat_rate / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    card = _renewal_charge_card(order, processor.name, actor)
    result = processor.charge(
        amount_minor=renewal.price_minor + vat,
        currency=order.currency,
        card=card,
        security_code=None,
        idempotency_key=f"renewal-{order.number}-{renewal.pk}",
    )
    if not result.approved:
        reason = result.decline_reason.value if result.decline_reason else ""
        raise CheckoutError(f"{DECLINE_MESSAGES.get(reason, 'the card was declined')}")
    renewal.status, renewal.payment_reference = RenewalStatus.RENEWED, result.reference
    renewal.save(update_fields=["status", "payment_reference"])
    audit_append(
        actor=actor,
        action="store.renewal_pay",
        outcome="paid",
        subject=order.customer.customer_number or "",
        categories=["user.financial.credit_card"],
        use=PAYMENT_USE,
        clauses=["SITE-2", "QS-5"],
        detail={"order": order.number, "renewal": renewal.pk, "amount": result.amount_minor},
    )
    return renewal
