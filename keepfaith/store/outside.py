"""Outside parties (BE-10): the notice, the customer's go-ahead, and the transfer outbox.

Rules kept here:

- A product that needs an outside party (the certificate authority validating an
  organisation) shows the party's notice from the policy, naming it and the data categories,
  with an explicit choice to go on; nothing is preselected.
- Without the go-ahead the order waits and nothing is queued or sent. The go-ahead is
  recorded once (``outside_party_go_ahead``); only then is an ``OutsideTransfer`` queued.
- Sending asks the gate, which reads the go-ahead as the choice ``outside_party:<key>``
  (``go_ahead_key``); a refusal is audited by the gate and leaves the transfer queued.
  Every send is audited.

The go-ahead is an event in the consent ledger (key ``outside_party:<key>``, source
``checkout`` or ``portal``); the order keeps a copy of the choice for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from keepfaith.audit.services import Actor, audit_append
from keepfaith.consent.services import consent_record
from keepfaith.gate import Gate, go_ahead_key
from keepfaith.policy.schema import OutsideParty, Policy
from keepfaith.policy.trace import enforces
from keepfaith.store.catalog import Catalog, Product, text_in
from keepfaith.store.errors import CheckoutError
from keepfaith.store.models import Order, OrderStatus, OutsideTransfer, Renewal, TransferStatus
from keepfaith.store.pricing import PricedLine
from keepfaith.versions.models import PolicyVersion

# The form field that asks for each category a collection point may need.
FIELD_OF_CATEGORY = {
    "user.name": ("name", gettext_lazy("Name")),
    "user.contact.email": ("email", gettext_lazy("E-mail")),
    "user.contact.phone_number": ("phone", gettext_lazy("Phone")),
    "user.contact.organization": ("organisation", gettext_lazy("Organisation")),
    "user.contact.address": ("address", gettext_lazy("Address")),
}
MAX_FIELD = 200


@dataclass(frozen=True)
class Notice:
    """What the customer sees before choosing: the party, its data, the notice text."""

    party: str
    name: str
    categories: tuple[str, ...]
    text: str
    fields: tuple[tuple[str, str, bool], ...]  # (field name, label, required)


def _party(policy: Policy, key: str) -> OutsideParty:
    return next(p for p in policy.recipients.outside_parties if p.key == key)


def outside_party_notice(
    *, lines: Sequence[PricedLine], lang: str, policy: Policy
) -> Notice | None:
    """The notice for the outside party the cart's products need, in ``lang``; None if none."""
    product = next((line.product for line in lines if line.product.outside_party), None)
    return product_notice(product, lang=lang, policy=policy)


def order_party_product(order: Order, *, catalog: Catalog) -> Product | None:
    """The product of a placed order that needs an outside party (None if none does)."""
    products = (catalog.product(line.product_id) for line in order.lines.all())
    return next((p for p in products if p is not None and p.outside_party), None)


def product_notice(product: Product | None, *, lang: str, policy: Policy) -> Notice | None:
    """The notice of the outside party ``product`` needs, with the fields its collection point
    declares; None when it needs none."""
    if product is None or product.outside_party is None:
        return None
    party = _party(policy, product.outside_party)
    point = next(c for c in policy.collection_points if c.id == product.collection_point)
    fields = tuple(
        (FIELD_OF_CATEGORY[c.category][0], str(FIELD_OF_CATEGORY[c.category][1]), c.required)
        for c in point.categories
        if c.category in FIELD_OF_CATEGORY
    )
    name = text_in(party.name, lang)
    return Notice(party.key, name, party.categories, text_in(party.notice, lang), fields)


def validation_fields_check(
    *,
    lines: Sequence[PricedLine],
    values: Mapping[str, str],
    policy: Policy,
    go_ahead: bool = True,
) -> dict[str, str]:
    """The details the outside party needs, checked: none too long, and the required ones
    present when the customer goes on (an order that waits needs none of them yet)."""
    notice = outside_party_notice(lines=lines, lang=(get_language() or "en")[:2], policy=policy)
    return details_check(notice, values, go_ahead=go_ahead)


def details_check(
    notice: Notice | None, values: Mapping[str, str], *, go_ahead: bool = True
) -> dict[str, str]:
    """``values`` for ``notice``'s fields, checked (see ``validation_fields_check``)."""
    if notice is None:
        return {}
    details = {}
    for field, label, required in notice.fields:
        value = str(values.get(field) or "").strip()
        if len(value) > MAX_FIELD:
            raise CheckoutError(
                _("%(label)s is too long (at most %(most)d characters)")
                % {"label": label, "most": MAX_FIELD}
            )
        if required and go_ahead and not value:
            raise CheckoutError(
                _("%(label)s is needed for %(name)s") % {"label": label, "name": notice.name}
            )
        details[field] = value
    return details


@enforces("BE-10")
def outside_party_go_ahead(
    *,
    order: Order,
    actor: Actor,
    policy: Policy,
    version: PolicyVersion | None,
    source: str = "checkout",
    details: Mapping[str, str] | None = None,
) -> Order:
    """Record the customer's go-ahead for the order's outside party and queue the transfer,
    under ``policy`` (in force; its ``version`` is recorded). ``details``, checked by
    ``details_check`` with the go-ahead, replace what the order kept when it was placed to
    wait. Idempotent: a second go-ahead for the same order changes nothing, however close
    the two come (the order's row is locked and read again before anything is written).
    """
    if not order.outside_party or order.go_ahead_given or order.status == OrderStatus.CANCELLED:
        return order  # a cancelled order sends nothing, whatever is posted later
    party = _party(policy, order.outside_party)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.go_ahead_given or locked.status == OrderStatus.CANCELLED:
            return locked  # another request went first (a double click, a second tab)
        order.outside_party_choice = "given"
        order.outside_party_choice_at = timezone.now()
        order.status = OrderStatus.ACTIVE
        fields = ["outside_party_choice", "outside_party_choice_at", "status"]
        if details is not None:
            order.validation_details = dict(details)
            fields.append("validation_details")
        order.save(update_fields=fields)
        _periods_start(order, timezone.localdate(order.outside_party_choice_at))
        consent_record(
            subject=order.customer.subject_ref,
            key=go_ahead_key(party.key),
            event="given",
            source=source,
            policy=policy,
            policy_version=version,
            evidence={"order": order.number, "notice_categories": list(party.categories)},
            actor=actor,
        )
        OutsideTransfer.objects.create(
            order=order, party=party.key, use=party.uses[0], categories=list(party.categories)
        )
    return order


def _periods_start(order: Order, day: dt.date) -> None:
    """A waiting order's paid periods start on the day it runs, not the day it was paid: each
    renewal not yet charged moves on by the days the order waited for the go-ahead."""
    waited = day - timezone.localdate(order.created)
    if waited.days <= 0:
        return
    for renewal in Renewal.objects.filter(line__order=order, charges__isnull=True):
        renewal.due += waited
        renewal.save(update_fields=["due"])


class OutsidePartyDelivery(Protocol):
    """Sends an order's details to an outside party; returns the party's reference."""

    def deliver(self, *, party: str, order: str, details: Mapping[str, str]) -> str: ...


class OutboxRecord:
    """The delivery until a real adapter (e.g. the CA's validation API) is configured: the
    transfer is recorded as sent with a local reference; no data leaves the system."""

    def deliver(self, *, party: str, order: str, details: Mapping[str, str]) -> str:
        return f"local:{party}:{order}"


@enforces("BE-10")
def outside_transfer_send(
    *,
    transfer: OutsideTransfer,
    actor: Actor,
    gate: Gate,
    delivery: OutsidePartyDelivery | None = None,
) -> OutsideTransfer:
    """Send one queued transfer through ``gate``; raises ``PolicyViolation`` without a
    go-ahead (the gate audits the refusal) and leaves the transfer queued."""
    if transfer.status == TransferStatus.SENT:
        return transfer
    order = transfer.order
    subject = order.customer.subject_ref
    gate.require(
        use=transfer.use,
        categories=transfer.categories,
        subject=subject,
        recipient=transfer.party,
        purpose_context=f"order {order.number}",
    )
    reference = (delivery or OutboxRecord()).deliver(
        party=transfer.party, order=order.number, details=order.validation_details
    )
    with transaction.atomic():
        transfer.status, transfer.sent_at = TransferStatus.SENT, timezone.now()
        transfer.reference = reference[:100]
        transfer.save(update_fields=["status", "sent_at", "reference"])
        audit_append(
            actor=actor,
            action="store.outside_transfer",
            outcome="sent",
            subject=subject,
            categories=transfer.categories,
            use=transfer.use,
            clauses=["BE-10"],
            detail={"order": order.number, "party": transfer.party, "reference": reference},
        )
    return transfer
