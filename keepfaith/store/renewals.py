"""Renewals: offered inside the policy's window, quoted, confirmed, charged once (SITE-2).

Rules kept here:

- A renewal is offered from ``renewals.window`` before it is due until ``renewals.grace``
  after, and only on an order that is running (not one still waiting for the customer's
  go-ahead for an outside party).
- The customer sees what will be charged (net, VAT, total, the period) and confirms it; the
  confirmation names the period it was shown for, so a second click, a second tab or a stale
  page never pays the next period. ``(renewal, period_start)`` is unique and is the
  processor's idempotency key: one period, one charge.
- A paid period moves the paid-until date (``Renewal.due``) on by the term, writes a
  ``RenewalCharge`` (the console shows it), queues a receipt and is audited.
- Automatic renewal is an opt-in use of the policy (``renewals.automatic_use``): turning it on
  for a service records the customer's ``given`` in the consent ledger; the gate refuses an
  automatic charge without it. Each automatic charge follows a reminder sent
  ``renewals.reminder`` before the due date (``renewals_run``, a daily job).
- The card on file is opened by the vault for the declared processor only (gated, audited);
  no security code exists any more and none is sent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor, audit_append
from keepfaith.comms.emails import page_url
from keepfaith.comms.outgoing import Recipient, mail_send
from keepfaith.consent.answers import choices_decline
from keepfaith.consent.services import consent_record
from keepfaith.gate import Gate, PolicyViolation
from keepfaith.policy import Policy
from keepfaith.policy.schema import Renewals, duration_hours
from keepfaith.policy.sections import display_name
from keepfaith.policy.trace import enforces
from keepfaith.store.errors import CheckoutError
from keepfaith.store.models import Order, OrderStatus, Renewal, RenewalCharge
from keepfaith.store.pricing import money
from keepfaith.store.selectors import line_place
from keepfaith.vault.cards import CardNumber
from keepfaith.vault.gateway import CARD_CATEGORY, PAYMENT_USE, payment_processor
from keepfaith.vault.processors import CardToken
from keepfaith.vault.services import card_for_processor
from keepfaith.versions.models import PolicyVersion

DEFAULT = Renewals()
log = logging.getLogger(__name__)


class RenewalError(CheckoutError):
    """A renewal that cannot be paid now; the message tells the customer why."""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days(duration: str) -> int:
    return (duration_hours(duration) or 0) // 24


def renewal_rules(policy: Policy) -> Renewals:
    return policy.renewals or DEFAULT


@dataclass(frozen=True)
class RenewalQuote:
    """What renewing now would charge, for which period, and whether it is offered today."""

    renewal: Renewal
    period_start: dt.date
    period_end: dt.date
    net_minor: int
    vat_minor: int
    total_minor: int
    currency: str
    opens: dt.date
    closes: dt.date
    offered: bool
    reason: str

    def money(self, lang: str) -> dict[str, str]:
        return {
            "net": money(self.net_minor, self.currency, lang=lang),
            "vat": money(self.vat_minor, self.currency, lang=lang),
            "total": money(self.total_minor, self.currency, lang=lang),
        }


def _today() -> dt.date:
    return timezone.localdate()


@enforces("SITE-2", features=("renewals.window",))
def renewal_quote(
    *, renewal: Renewal, policy: Policy, today: dt.date | None = None
) -> RenewalQuote:
    """The quote for the period that starts at the paid-until date, and whether the policy's
    window offers it today."""
    day = today or _today()
    rules = renewal_rules(policy)
    order = renewal.line.order
    vat = int(
        (Decimal(renewal.price_minor) * order.vat_rate / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    opens = renewal.due - dt.timedelta(days=_days(rules.window))
    closes = renewal.due + dt.timedelta(days=_days(rules.grace))
    reason = ""
    if order.status != OrderStatus.ACTIVE:
        reason = _("this order waits for your go-ahead; it can be renewed once it runs")
    elif order.card is None:
        reason = _("this order has no card on file; renew it from the shop")
    elif day < opens:
        reason = _("renewal opens on %(day)s") % {"day": date_format(opens, "DATE_FORMAT")}
    elif day > closes:
        reason = _("the renewal period has ended; order the product again from the shop")
    return RenewalQuote(
        renewal=renewal,
        period_start=renewal.due,
        period_end=add_months(renewal.due, renewal.term_months),
        net_minor=renewal.price_minor,
        vat_minor=vat,
        total_minor=renewal.price_minor + vat,
        currency=order.currency,
        opens=opens,
        closes=closes,
        offered=not reason,
        reason=reason,
    )


def _card(order: Order, recipient: str, actor: Actor, gate: Gate) -> CardNumber | CardToken:
    """The card on file for the processor (``recipient``, its policy key): opened by the vault,
    or the processor's token."""
    assert order.card is not None
    if order.card.sealed:
        return card_for_processor(record=order.card, actor=actor, recipient=recipient, gate=gate)
    stored = order.card.stored()
    return CardToken(order.card.processor_token, stored.brand, stored.last4)


def _use(policy: Policy, automatic: bool) -> str:
    automatic_use = renewal_rules(policy).automatic_use
    if automatic and automatic_use is None:
        raise RenewalError(_("the policy offers no automatic renewal"))
    return automatic_use if automatic and automatic_use else PAYMENT_USE


@enforces("SITE-2", "QS-5")
def renewal_charge(
    *,
    renewal: Renewal,
    period_start: dt.date,
    actor: Actor,
    gate: Gate,
    policy: Policy,
    automatic: bool = False,
    today: dt.date | None = None,
) -> RenewalCharge:
    """Charge the period starting ``period_start`` (the one the customer was shown) once.

    Idempotent: a period already paid returns its charge. Raises ``RenewalError`` when the
    window does not offer it, ``PolicyViolation`` when the gate refuses (e.g. an automatic
    charge without the customer's opt-in), ``CheckoutError`` when the card is declined."""
    earlier = RenewalCharge.objects.filter(renewal=renewal, period_start=period_start).first()
    if earlier is not None:
        return earlier
    if period_start != renewal.due:
        raise RenewalError(_("this renewal was paid meanwhile; reload the page"))
    quote = renewal_quote(renewal=renewal, policy=policy, today=today)
    if not quote.offered:
        raise RenewalError(quote.reason)
    order = renewal.line.order
    subject = order.customer.subject_ref
    processor = payment_processor(policy=policy)
    gate.require(
        use=_use(policy, automatic),
        categories=[CARD_CATEGORY],
        subject=subject,
        recipient=processor.name,
        purpose_context=f"renewal {order.number} {period_start}",
    )
    result = processor.charge(
        amount_minor=quote.total_minor,
        currency=quote.currency,
        card=_card(order, processor.name, actor, gate),
        security_code=None,
        idempotency_key=f"renewal-{order.number}-{renewal.pk}-{period_start:%Y%m%d}",
    )
    if not result.approved:
        from keepfaith.store.services import DECLINE_MESSAGES

        reason = result.decline_reason.value if result.decline_reason else ""
        raise CheckoutError(DECLINE_MESSAGES.get(reason, "the card was declined"))
    return _paid(renewal, quote, result.reference, actor, gate, policy, automatic)


def _paid(
    renewal: Renewal,
    quote: RenewalQuote,
    reference: str,
    actor: Actor,
    gate: Gate,
    policy: Policy,
    automatic: bool,
) -> RenewalCharge:
    order = renewal.line.order
    trigger = RenewalCharge.Trigger.AUTOMATIC if automatic else RenewalCharge.Trigger.CUSTOMER
    try:
        with transaction.atomic():
            charge = RenewalCharge.objects.create(
                renewal=renewal,
                period_start=quote.period_start,
                period_end=quote.period_end,
                net_minor=quote.net_minor,
                vat_minor=quote.vat_minor,
                total_minor=quote.total_minor,
                currency=quote.currency,
                trigger=trigger,
                payment_reference=reference[:100],
            )
            Renewal.objects.filter(pk=renewal.pk).update(due=quote.period_end)
            renewal.due = quote.period_end
            audit_append(
                actor=actor,
                action="store.renewal_charge",
                outcome="paid",
                subject=order.customer.subject_ref,
                categories=["user.financial.credit_card"],
                use=_use(policy, automatic),
                clauses=["SITE-2", "QS-5"],
                detail={
                    "order": order.number,
                    "period": f"{quote.period_start}..{quote.period_end}",
                    "total": quote.total_minor,
                    "trigger": trigger,
                },
            )
            _receipt(charge, gate, policy)
    except IntegrityError:  # the same period paid at the same moment: the first one won
        return RenewalCharge.objects.get(renewal=renewal, period_start=quote.period_start)
    return charge


def _mail(
    renewal: Renewal,
    name: str,
    amounts: dict[str, object],
    gate: Gate,
    policy: Policy,
    *,
    key: str,
) -> None:
    """A renewal receipt or reminder to the customer, in their language. A gate refusal (a
    policy without transactional mail) never undoes the charge."""
    order = renewal.line.order
    customer = order.customer
    languages = policy.controller.languages
    lang = customer.language if customer.language in languages else languages[0]
    context: dict[str, object] = {
        "order": order,
        "line": renewal.line,
        "card": order.card_masked(),
        "url": page_url("portal:order", lang, number=order.number),
        "controller": display_name(policy),
    }
    if "charge" in amounts:  # a receipt: the charge's own invoice
        number, charge = order.number, str(amounts["charge"])
        context["invoice_url"] = page_url(
            "portal:renewal_invoice", lang, number=number, charge=charge
        )
    for field, value in amounts.items():
        if field.endswith("_minor") and isinstance(value, int):
            context[field] = money(value, order.currency, lang=lang)
        else:
            context[field] = value
    to = Recipient(customer.email, customer.subject_ref, lang)
    try:
        mail_send(name=name, to=to, context=context, key=key, gate=gate, purpose=key)
    except PolicyViolation as refusal:
        log.error("%s for order %s not sent: %s", name, order.number, refusal)


def _receipt(charge: RenewalCharge, gate: Gate, policy: Policy) -> None:
    amounts = {
        "net_minor": charge.net_minor,
        "vat_minor": charge.vat_minor,
        "total_minor": charge.total_minor,
        "period_start": charge.period_start,
        "period_end": charge.period_end,
        "automatic": charge.trigger == RenewalCharge.Trigger.AUTOMATIC,
        "charge": charge.pk,
    }
    _mail(charge.renewal, "renewal_receipt", amounts, gate, policy, key=f"renewal:{charge.pk}")


def _reminder(renewal: Renewal, gate: Gate, policy: Policy) -> None:
    quote = renewal_quote(renewal=renewal, policy=policy)
    amounts = {
        "net_minor": quote.net_minor,
        "vat_minor": quote.vat_minor,
        "total_minor": quote.total_minor,
        "period_start": quote.period_start,
        "period_end": quote.period_end,
    }
    key = f"renewal-reminder:{renewal.pk}:{renewal.due:%Y%m%d}"
    _mail(renewal, "renewal_reminder", amounts, gate, policy, key=key)


def automatic_orders(*, customer: User) -> list[str]:
    """The numbers of the customer's orders with a service that renews on its own."""
    found = Renewal.objects.filter(line__order__customer=customer, automatic=True)
    return sorted(set(found.values_list("line__order__number", flat=True)))


@enforces("SITE-2", "QS-5")
def renewal_automatic_set(
    *,
    renewal: Renewal,
    on: bool,
    actor: Actor,
    policy: Policy,
    version: PolicyVersion | None,
) -> Renewal:
    """Turn automatic renewal of one service on or off, as the customer chose.

    On: the customer's ``given`` for the policy's automatic-renewal use is recorded in the
    consent ledger (naming this service). Off: the service stops renewing on its own; when
    no other service of theirs does, the consent is withdrawn."""
    use = _use(policy, automatic=True)
    subject = renewal.line.order.customer.subject_ref
    # the order and the line's place in it: a receipt shows this, never a row number
    evidence = {"order": renewal.line.order.number, "line": line_place(renewal.line)}
    with transaction.atomic():
        Renewal.objects.filter(pk=renewal.pk).update(automatic=on)
        renewal.automatic = on
        if on:
            consent_record(
                subject=subject,
                key=use,
                event="given",
                source="portal",
                policy=policy,
                policy_version=version,
                evidence=evidence,
                actor=actor,
            )
        elif not Renewal.objects.filter(
            line__order__customer=renewal.line.order.customer, automatic=True
        ).exists():
            choices_decline(
                subject=subject,
                keys=[use],
                source="portal",
                version=version,
                evidence=evidence,
                actor=actor,
            )
    return renewal


@dataclass(frozen=True)
class RenewalRun:
    reminded: int
    charged: int
    refused: int


@enforces("SITE-2", features=("renewals.automatic",))
def renewals_run(*, gate: Gate, policy: Policy, today: dt.date | None = None) -> RenewalRun:
    """The daily job: remind each automatic renewal due within ``renewals.reminder``, then
    charge those due today or earlier whose reminder went out on an earlier run (a job that
    missed days reminds first and charges the next day, inside the grace period). A refusal
    (the customer withdrew) or a declined card leaves the renewal for the customer."""
    day = today or _today()
    rules = renewal_rules(policy)
    actor = Actor.system("renewals")
    soon = day + dt.timedelta(days=_days(rules.reminder))
    charged = refused = 0
    automatic = Renewal.objects.filter(automatic=True, line__order__status=OrderStatus.ACTIVE)
    reminded_now: set[int] = set()
    for renewal in automatic.filter(due__lte=soon).exclude(reminded_for=F("due")):
        _reminder(renewal, gate, policy)
        Renewal.objects.filter(pk=renewal.pk).update(reminded_for=renewal.due)
        reminded_now.add(renewal.pk)
    due = automatic.filter(due__lte=day, reminded_for=F("due")).exclude(pk__in=reminded_now)
    for renewal in due:  # reminded on an earlier day: never on the day of the charge
        try:
            renewal_charge(
                renewal=renewal,
                period_start=renewal.due,
                actor=actor,
                gate=gate,
                policy=policy,
                automatic=True,
                today=day,
            )
        except (PolicyViolation, CheckoutError):
            refused += 1
            continue
        charged += 1
    return RenewalRun(len(reminded_now), charged, refused)
