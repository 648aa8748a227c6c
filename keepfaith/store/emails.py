"""Mail of the shop to one customer: the order receipt and the renewal mails. Transactional
mail (no unsubscribe), in the customer's language, through the one path for outgoing mail
(``keepfaith.comms.outgoing.mail_send``: the gate is asked, the outbox keeps it); a card is
shown masked, never the number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keepfaith.accounts.models import User
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.sections import display_name
from keepfaith.policy.trace import enforces
from keepfaith.store.models import Order
from keepfaith.store.pricing import money
from keepfaith.store.selectors import active_catalog, line_words


def _to(customer: User, policy: Policy) -> tuple[Recipient, str]:
    """The customer as a recipient, in their language (the policy's first if not one of its)."""
    languages = policy.controller.languages
    lang = customer.language if customer.language in languages else languages[0]
    return Recipient(customer.email, customer.subject_ref, lang), lang


def _recipient(order: Order, policy: Policy) -> tuple[Recipient, str]:
    return _to(order.customer, policy)


@enforces("SITE-2", "BE-8")
def send_order_receipt(*, order: Order, policy: Policy, gate: Gate) -> None:
    """Queue the receipt of ``order`` (once per order)."""
    to, lang = _recipient(order, policy)
    catalog = active_catalog(policy=policy)
    lines = [  # in the customer's language, whatever language the order was placed in
        (
            line.quantity,
            line_words(line, catalog, lang),
            money(line.total_minor, order.currency, lang=lang),
        )
        for line in order.lines.all()
    ]
    context: dict[str, Any] = {
        "order": order,
        "lines": lines,
        "card": order.card_masked(),
        "subtotal": money(order.subtotal_minor, order.currency, lang=lang),
        "vat": money(order.vat_minor, order.currency, lang=lang),
        "total": money(order.total_minor, order.currency, lang=lang),
        "url": page_url("portal:order", lang, number=order.number),
        "controller": display_name(policy),
    }
    mail_send(
        name="order_receipt",
        to=to,
        context=context,
        key=f"receipt:{order.number}",
        gate=gate,
        purpose=f"receipt {order.number}",
    )


@enforces("SITE-2")
def send_refund_notice(
    *,
    customer: User,
    charge_reference: str,
    amount_minor: int,
    currency: str,
    paid: datetime,
    refund_reference: str,
    policy: Policy,
    gate: Gate,
) -> None:
    """Tell the customer that billing refunded a payment whose checkout placed no order (the
    checkout page told them billing would): once per charge."""
    to, lang = _to(customer, policy)
    context: dict[str, Any] = {
        "amount": money(amount_minor, currency, lang=lang),
        "charge_reference": charge_reference,
        "paid": paid,
        "refund_reference": refund_reference,
        "url": page_url("portal:shop", lang),
        "controller": display_name(policy),
    }
    mail_send(
        name="refund_made",
        to=to,
        context=context,
        key=f"refund:{charge_reference}",
        gate=gate,
        purpose=f"refund of payment {charge_reference}",
    )


@enforces("SITE-2")
def send_cancel_notice(*, order: Order, customer: User, policy: Policy, gate: Gate) -> None:
    """Confirm to the customer that ``order`` (cancelled while it waited for their go-ahead)
    is cancelled, with the refund if there was one: once per order."""
    to, lang = _to(customer, policy)
    context: dict[str, Any] = {
        "number": order.number,
        "amount": money(order.refunded_minor or 0, order.currency, lang=lang),
        "refund_reference": order.refund_reference,
        "url": page_url("portal:order", lang, number=order.number),
        "controller": display_name(policy),
    }
    mail_send(
        name="order_cancelled",
        to=to,
        context=context,
        key=f"cancelled:{order.number}",
        gate=gate,
        purpose=f"cancellation of {order.number}",
    )
