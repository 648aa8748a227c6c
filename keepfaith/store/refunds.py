"""Payments without an order, for billing staff: the checkouts whose automatic refund failed or
never finished, and what billing does about them (SITE-2).

A checkout whose order could not be written after its charge refunds the charge itself
(``keepfaith.store.services``) and records each step in the audit log as
``store.checkout_refund``: ``queued`` before the processor is asked, then ``refunded`` or
``failed``. The audit log is the record: a charge is open while its latest entry is
``failed``, or ``queued`` for longer than a refund takes (the process died in between). Billing
staff ask the processor again, or record a refund they made in the processor's own dashboard;
either way under their name in the audit log, and the charge leaves the list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from keepfaith.accounts.models import User
from keepfaith.audit.models import ActorKind, AuditEntry
from keepfaith.audit.services import Actor, audit_append
from keepfaith.gate import Gate
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.store.emails import send_refund_notice
from keepfaith.store.models import Order
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE, payment_processor

logger = logging.getLogger(__name__)

REFUND_ACTION = "store.checkout_refund"
UNCONFIRMED_AFTER = timedelta(minutes=10)
"""A refund begun this long ago with no outcome is shown to billing (a refund takes seconds)."""
REFERENCE_MAX = 100


class RefundCaseError(ValueError):
    """The charge is not open (refunded already, or never recorded), or the input is wrong."""


@dataclass(frozen=True, slots=True)
class RefundCase:
    """One charge whose checkout placed no order and whose money is not known to be back."""

    charge_reference: str
    subject: str
    amount_minor: int
    currency: str
    since: datetime
    failed: bool
    """True: the processor refused or failed; False: begun and never confirmed."""
    reason: str


@dataclass(frozen=True, slots=True)
class SettledRefund:
    """A charge without an order whose money went back: automatically, or by billing."""

    charge_reference: str
    subject: str
    amount_minor: int
    currency: str
    since: datetime
    refunded_at: datetime
    refund_reference: str
    by_staff: str
    """The staff member who made or recorded it ("": the checkout's own refund)."""
    by_hand: bool
    order_number: str = ""
    """An order placed on the charge after all ("": none): a second submit of the checkout
    wrote it while the database could not tell the refund it had none. The customer then has
    the order unpaid, which billing settles with them."""


SETTLED_SHOWN = timedelta(days=30)


def _entries(
    only: str | None = None, subject: str | None = None
) -> tuple[dict[str, AuditEntry], dict[str, AuditEntry], dict[str, AuditEntry]]:
    """The first, the latest and the last ``refunded`` entry of each charge (chain order), of
    one customer's charges when ``subject`` is given."""
    entries = AuditEntry.objects.filter(action=REFUND_ACTION).order_by("seq")
    if subject is not None:
        entries = entries.filter(subject=subject)
    first: dict[str, AuditEntry] = {}
    latest: dict[str, AuditEntry] = {}
    refunded: dict[str, AuditEntry] = {}
    for entry in entries.only("at", "actor_kind", "actor", "subject", "outcome", "detail"):
        reference = str(entry.detail.get("charge_reference", ""))
        if not reference or (only is not None and reference != only):
            continue
        first.setdefault(reference, entry)
        latest[reference] = entry
        if entry.outcome == "refunded":
            refunded[reference] = entry
    return first, latest, refunded


def _charge(reference: str, begun: AuditEntry) -> dict[str, Any]:
    """What the first refund entry of a charge says of it (the checkout's own)."""
    return {
        "charge_reference": reference,
        "subject": begun.subject,
        "amount_minor": int(begun.detail.get("amount_minor", 0)),
        "currency": str(begun.detail.get("currency", "")),
        "since": begun.at,
    }


def refunds_settled(*, now: datetime | None = None) -> list[SettledRefund]:
    """The charges without an order refunded in the last 30 days, newest first: what billing
    answered stays in sight after it leaves the list of open ones."""
    since = (now or timezone.now()) - SETTLED_SHOWN
    # A charge refunded once is settled, whatever came after (a late failure of a refund
    # asked twice: a processor refunds a charge once).
    first, _latest, refunded = _entries()
    recent = [r for r, e in refunded.items() if e.at >= since]
    orders = dict(
        Order.objects.filter(payment_reference__in=recent).values_list(
            "payment_reference", "number"
        )
    )
    settled: list[SettledRefund] = []
    for reference in recent:
        entry = refunded[reference]
        settled.append(
            SettledRefund(
                **_charge(reference, first[reference]),
                refunded_at=entry.at,
                refund_reference=str(entry.detail.get("refund_reference", "")),
                by_staff=entry.actor if entry.actor_kind == ActorKind.STAFF else "",
                by_hand=bool(entry.detail.get("by_hand")),
                order_number=orders.get(reference, ""),
            )
        )
    return sorted(settled, key=lambda item: item.refunded_at, reverse=True)


def _cases(
    *, now: datetime, only: str | None = None, subject: str | None = None
) -> list[RefundCase]:
    first, latest, refunded = _entries(only, subject)
    # A charge with an order after all (a second submit of its checkout placed one) keeps its
    # money: nothing to refund.
    ordered = set(
        Order.objects.filter(payment_reference__in=list(latest)).values_list(
            "payment_reference", flat=True
        )
    )
    settled = ordered | set(refunded)
    cases = []
    for reference, entry in latest.items():
        stale = entry.outcome == "queued" and entry.at <= now - UNCONFIRMED_AFTER
        if (entry.outcome != "failed" and not stale) or reference in settled:
            continue
        cases.append(
            RefundCase(
                **_charge(reference, first[reference]),
                failed=entry.outcome == "failed",
                reason=str(entry.detail.get("reason", "")),
            )
        )
    return sorted(cases, key=lambda case: case.since)


def refunds_to_check(*, now: datetime | None = None) -> list[RefundCase]:
    """The charges without an order whose money is not known to be back, oldest first."""
    return _cases(now=now or timezone.now())


def refunds_owed(*, subject: str) -> list[RefundCase]:
    """The payments of ``subject`` whose checkout placed no order and whose money is not back
    yet: open for billing, or a refund under way (what the customer should know before an
    erasure closes their account)."""
    return [
        case for case in _cases(now=timezone.now() + UNCONFIRMED_AFTER) if case.subject == subject
    ]


def customer_of(subject: str, *, lock: bool = False) -> User | None:
    """The account a subject reference names (a customer number, or ``U-<id>``)."""
    users = User.objects.select_for_update() if lock else User.objects.all()
    if subject.startswith("U-") and subject[2:].isdecimal():
        return users.filter(pk=int(subject[2:])).first()
    return users.filter(customer_number=subject).first()


def _open_case(charge_reference: str) -> tuple[RefundCase, User | None]:
    """The open case of ``charge_reference`` and its customer, read under the customer's lock
    (as a checkout takes it), so two staff members' answers, or an answer and a checkout of
    that charge, queue instead of both acting on what each read before. Refused when the
    charge has an order after all (a second submit of its checkout placed one): its money is
    the order's. ``customer`` is None when the account no longer exists (the money is still
    theirs: it goes back, and no e-mail is sent). Call inside a transaction."""
    cases = _cases(now=timezone.now(), only=charge_reference)
    if not cases:
        raise RefundCaseError("this payment is not waiting for a refund")
    customer = customer_of(cases[0].subject, lock=True)  # None: the account is gone; no mail
    cases = _cases(now=timezone.now(), only=charge_reference)  # again, under the lock
    if not cases:
        raise RefundCaseError("this payment is not waiting for a refund")
    if Order.objects.filter(payment_reference=charge_reference).exists():
        raise RefundCaseError("this payment has an order: there is nothing to refund")
    return cases[0], customer


def refund_entry(*, actor: Actor, subject: str, outcome: str, detail: dict[str, Any]) -> None:
    """One step of a charge's way back, in the audit log (``detail`` names the charge): the
    checkout's own refund and billing's answers write the same entries, which this module
    reads back."""
    audit_append(
        actor=actor,
        action=REFUND_ACTION,
        outcome=outcome,
        subject=subject,
        use=PAYMENT_USE,
        clauses=["SITE-2"],
        detail=detail,
    )


def refund_begun(*, subject: str, charge_reference: str) -> bool:
    """Was a refund of this charge recorded (begun, made or failed) for ``subject``?"""
    first, _latest, _refunded = _entries(charge_reference, subject)
    return charge_reference in first


def refund_case(charge_reference: str) -> RefundCase | None:
    """The open case of one charge (None: it waits for no refund)."""
    cases = _cases(now=timezone.now(), only=charge_reference)
    return cases[0] if cases else None


def _audit(actor: Actor, case: RefundCase, outcome: str, **more: Any) -> None:
    refund_entry(
        actor=actor,
        subject=case.subject,
        outcome=outcome,
        detail={
            "charge_reference": case.charge_reference,
            "amount_minor": case.amount_minor,
            "currency": case.currency,
            **more,
        },
    )


def _tell(
    customer: User | None, case: RefundCase, refund_reference: str, policy: Policy, gate: Gate
) -> None:
    """The customer's e-mail that the money is back, in its own savepoint: nothing that goes
    wrong with it (a refusal by the gate, a template, the outbox) undoes the recorded refund;
    it is logged. No e-mail to an account that is gone or erased."""
    if customer is None or not customer.is_active:
        return
    try:
        with transaction.atomic():
            send_refund_notice(
                customer=customer,
                charge_reference=case.charge_reference,
                amount_minor=case.amount_minor,
                currency=case.currency,
                paid=case.since,
                refund_reference=refund_reference,
                policy=policy,
                gate=gate,
            )
    except Exception as exc:  # the refund is made and recorded: only log
        logger.error("charge %s: refunded, the customer not told: %s", case.charge_reference, exc)


@enforces("SITE-2")
def refund_retry(*, charge_reference: str, actor: Actor, policy: Policy, gate: Gate) -> bool:
    """Ask the processor again to refund an open charge; True when it did, and the customer is
    told by e-mail. As a checkout's own refund: under the customer's lock the case is checked
    and the attempt recorded as begun (``queued``, under ``actor``: the charge leaves the list,
    and a second answer is refused); the gate is asked to send the refund to the processor (a
    customer's restriction of processing holds it, as it holds a cancelled order's); then the
    processor is asked outside any transaction (a slow one holds no lock), and the outcome
    recorded. Raises ``RefundCaseError`` for a charge that is not open or a refusal."""
    processor = payment_processor(policy=policy)
    with transaction.atomic():
        case, customer = _open_case(charge_reference)
        decision = gate.check(
            use=PAYMENT_USE,
            categories=[CARD_CATEGORY],
            subject=case.subject,
            recipient=processor.name,
            purpose_context=f"refund of payment {charge_reference}",
        )
        if decision.allowed:
            _audit(actor, case, "queued")
    if not decision.allowed:  # raised after the commit: the refusal's audit entry stays
        raise RefundCaseError(f"the refund may not go to the processor: {decision.reason}")
    try:
        refund = processor.refund(
            charge_reference=case.charge_reference,
            amount_minor=case.amount_minor,
            currency=case.currency,
        )
    except Exception as exc:
        logger.error("charge %s: refund asked again, not made: %s", charge_reference, exc)
        _audit(actor, case, "failed", reason=str(exc) or type(exc).__name__)
        return False
    try:
        _audit(actor, case, "refunded", refund_reference=refund.reference)
    except DatabaseError:  # the money is back: the log keeps what the audit log could not
        logger.error("charge %s refunded (%s), not recorded", charge_reference, refund.reference)
        raise
    _tell(customer, case, refund.reference, policy, gate)
    return True


@enforces("SITE-2")
def refund_record_by_hand(
    *, charge_reference: str, refund_reference: str, actor: Actor, policy: Policy, gate: Gate
) -> None:
    """Record a refund billing made in the processor's own dashboard, with its reference, and
    tell the customer by e-mail."""
    refund_reference = refund_reference.strip()
    if not refund_reference or len(refund_reference) > REFERENCE_MAX:
        raise RefundCaseError("give the refund's reference from the payment processor")
    if not refund_reference.isprintable():
        raise RefundCaseError("a refund reference is letters, digits and punctuation")
    with transaction.atomic():
        case, customer = _open_case(charge_reference)
        _audit(actor, case, "refunded", refund_reference=refund_reference, by_hand=True)
    _tell(customer, case, refund_reference, policy, gate)
