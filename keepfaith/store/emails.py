"""The order receipt: transactional mail (no unsubscribe), in the customer's language.

The gate is asked first (the policy's transactional mail use, the e-mail address, this
customer) and audits the decision; the receipt shows the card masked, never the number.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.comms.emails import render_mail
from keepfaith.gate.runtime import active_gate
from keepfaith.policy.trace import enforces
from keepfaith.store.models import Order
from keepfaith.store.pricing import money
from keepfaith.versions.selectors import active_policy


@enforces("SITE-2", "BE-8")
def send_order_receipt(*, order: Order) -> bool:
    """Send the receipt of ``order``; False when the policy declares no transactional mail."""
    policy, _ = active_policy()
    kind = policy.mail_kind("transactional")
    if kind is None:
        return False
    customer = order.customer
    number = customer.customer_number or str(customer.pk)
    active_gate(actor=Actor(ActorKind.SYSTEM, "order receipt")).require(
        use=kind.use,
        categories=["user.contact.email"],
        subject=number,
        purpose_context=f"receipt {order.number}",
    )
    lang = (
        customer.language
        if customer.language in policy.controller.languages
        else (policy.controller.languages[0])
    )
    lines = [
        (line.quantity, line.description, money(line.total_minor, order.currency, lang=lang))
        for line in order.lines.all()
    ]
    mail = render_mail(
        name="order_receipt",
        language=lang,
        context={
            "order": order,
            "lines": lines,
            "card": order.card_masked(),
            "subtotal": money(order.subtotal_minor, order.currency, lang=lang),
            "vat": money(order.vat_minor, order.currency, lang=lang),
            "total": money(order.total_minor, order.currency, lang=lang),
            "url": f"{settings.PUBLIC_URL}/account/orders/{order.number}/",
            "controller": policy.controller.legal_name,
        },
    )
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(mail.html, "text/html")
    message.send()
    return True
