"""Erasure (Art. 17, RIGHTS-17): a plan from the policy, carried out store by store, a receipt.

``erasure_plan`` says, for each store, whether it is erased now or kept until a date under
the legal basis the policy's ``rights.kept_after_erasure`` states. ``erasure_run`` carries
it out: each store's step is idempotent and its completion is recorded on the request in
the same transaction, so a run interrupted by a crash is finished by running it again, and
no step runs twice. Kept data is restricted meanwhile (the gate then refuses every use but
the ones the policy's ``rights.restriction_permits`` names).

The hash-chained audit log and consent ledger stay verifiable: they hold only the customer
number, a reference whose link to the person (the account's name and addresses) is erased
here, except in the records the receipt says are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from keepfaith.accounts.models import User
from keepfaith.accounts.services import account_erase, contact_history_erase
from keepfaith.audit.services import Actor, audit_append
from keepfaith.certs.services import certificates_erase, transfers_erase
from keepfaith.comms.services import mail_erase
from keepfaith.consent.services import consent_record
from keepfaith.gate import RESTRICTION_KEY
from keepfaith.policy import Policy
from keepfaith.policy.rights_text import kept_period_text, kept_reason_text
from keepfaith.policy.schema import STORE_KEYS, KeptAfterErasure, duration_hours
from keepfaith.policy.trace import enforces
from keepfaith.rights.models import RightsRequest
from keepfaith.rights.recipients import recipients_tell
from keepfaith.rights.services import RightsError, step_add
from keepfaith.store.models import Order
from keepfaith.store.services import orders_erase
from keepfaith.support.services import support_erase
from keepfaith.vault.services import card_labels_erase, cards_erase

STORE_TITLES = {
    "account": _("Your account (name, addresses, phone, password)"),
    "contact_history": _("The history of your contact details"),
    "orders": _("Orders and invoices"),
    "cards": _("Stored cards (the encrypted number and the processor's token are destroyed)"),
    "consent": _("Your choices (the record keeps only your customer number)"),
    "support": _("Support tickets and questions"),
    "mail": _("E-mail sent to you and received from you"),
    "transfers": _("What was sent to outside parties"),
    "certificates": _("Certificate requests and certificates"),
    "requests": _("Your requests about your data"),
}
# The same stores as staff read them, about the customer.
STAFF_STORE_TITLES = {
    **STORE_TITLES,
    "account": _("The customer's account (name, addresses, phone, password)"),
    "contact_history": _("The history of the customer's contact details"),
    "consent": _("The customer's choices (the record keeps only the customer number)"),
    "mail": _("E-mail sent to and received from the customer"),
    "requests": _("The customer's requests about their data"),
}


def plan_date(value: str) -> str:
    """A plan's ISO date (``2031-12-31``) in the active language's date format."""
    try:
        return date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return value


def store_title(store: str, *, staff: bool = False) -> str:
    """A store of the erasure plan in words, for the customer or (``staff``) for staff."""
    titles = STAFF_STORE_TITLES if staff else STORE_TITLES
    return str(titles.get(store, store.replace("_", " ")))


@dataclass(frozen=True)
class PlanItem:
    """One store: erased now, or kept until ``until`` under ``why``."""

    store: str
    erase: bool
    why: str = ""
    until: str = ""
    period: str = ""


def _until(kept: KeptAfterErasure, newest: dt.date) -> dt.date:
    """The day kept data is deleted: the period counted from the newest record, or from
    the end of the financial (calendar) year it belongs to."""
    start = dt.date(newest.year, 12, 31) if kept.counted_from == "end_of_financial_year" else newest
    days = (duration_hours(kept.period) or 0) // 24
    years, rest = divmod(days, 365)
    try:
        return start.replace(year=start.year + years) + dt.timedelta(days=rest)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28) + dt.timedelta(days=rest)


def _newest(store: str, customer: User, today: dt.date) -> dt.date | None:
    if store == "orders":
        order = Order.objects.filter(customer=customer).order_by("-created").first()
        return None if order is None else timezone.localdate(order.created)
    return today


@enforces("RIGHTS-17", features=("rights.erasure.plan",))
def erasure_plan(*, customer: User, policy: Policy, lang: str, today: dt.date) -> list[PlanItem]:
    """Per store: erase now, or keep until a date with the legal basis the policy states."""
    kept: dict[str, KeptAfterErasure] = {
        k.store: k for k in (policy.rights.kept_after_erasure if policy.rights else ())
    }
    plan = []
    for store in STORE_KEYS:
        rule = kept.get(store)
        newest = _newest(store, customer, today) if rule else None
        if rule is None or newest is None:
            plan.append(PlanItem(store, True))
            continue
        plan.append(
            PlanItem(
                store,
                False,
                kept_reason_text(rule, lang),
                _until(rule, newest).isoformat(),
                kept_period_text(rule, lang),
            )
        )
    return plan


def plan_worded(plan: list[dict[str, Any]], *, policy: Policy, lang: str) -> list[dict[str, Any]]:
    """A plan kept with a carried-out erasure (its words in the customer's language), with the
    reason and period of each kept store said in ``lang`` (a reader's), from the policy."""
    kept: dict[str, KeptAfterErasure] = {
        k.store: k for k in (policy.rights.kept_after_erasure if policy.rights else ())
    }
    worded = []
    for item in plan:
        rule = kept.get(str(item.get("store")))
        if rule is not None and not item.get("erase"):
            item = {**item, "why": kept_reason_text(rule, lang),
                    "period": kept_period_text(rule, lang)}  # fmt: skip
        worded.append(item)
    return worded


def _requests_erase(customer: User) -> None:
    """The details written in the customer's requests; the request itself is the proof that it
    was carried out."""
    RightsRequest.objects.filter(subject=customer.subject_ref).update(details="")


# What erasing each store does, in the app that owns it. ``account`` goes last (erasure_run),
# ``consent`` holds only the customer number (see the module's docstring).
ERASERS: dict[str, Callable[[User, str], None]] = {
    "contact_history": lambda customer, _address: contact_history_erase(customer),
    "orders": lambda customer, _address: orders_erase(customer),
    "cards": lambda customer, _address: cards_erase(customer.subject_ref),
    "support": lambda customer, address: support_erase(customer, address=address),
    "mail": lambda customer, address: mail_erase(customer.subject_ref, address=address),
    "transfers": lambda customer, _address: transfers_erase(customer),
    "certificates": lambda customer, _address: certificates_erase(customer),
    "requests": lambda customer, _address: _requests_erase(customer),
}


def _erase_store(store: str, customer: User, keep: bool, address: str) -> None:
    """Erase ``store`` now, or leave what the policy keeps (restricted meanwhile, erased by
    the daily job on the day the receipt names). Of the requests only their details go:
    the proof the policy keeps is the request itself."""
    if keep and store != "requests":
        return
    eraser = ERASERS.get(store)
    if eraser is not None:
        eraser(customer, address)


def erase_kept_store(store: str, customer: User, *, address: str) -> None:
    """Erase what an erasure kept in ``store`` once its period ran out (the daily job).
    ``address`` is the one the person had (the request keeps it: the account's is gone)."""
    _erase_store(store, customer, False, address)
    if store == "orders":
        card_labels_erase(customer.subject_ref)


@enforces("RIGHTS-17", "RIGHTS-19")
def erasure_run(
    *, request: RightsRequest, policy: Policy, actor: Actor, now: dt.datetime | None = None
) -> dict[str, object]:
    """Carry out the erasure of ``request``'s customer; returns the receipt. Re-running an
    interrupted erasure finishes it: each store's step is recorded as done with it."""
    now = now or timezone.now()
    customer = request.customer
    if customer is None or request.kind != "erasure" or not request.is_open:
        raise RightsError("only an open erasure request of a known customer can be carried out")
    lang = customer.language or request.language
    plan = erasure_plan(customer=customer, policy=policy, lang=lang, today=timezone.localdate(now))
    address = request.receipt.get("address") or customer.email
    receipt = dict(request.receipt) or {"address": address, "done": []}
    receipt["plan"] = [asdict(item) for item in plan]
    keeps = {item.store for item in plan if not item.erase}
    for item in plan:
        if item.store in receipt["done"] or item.store == "account":
            continue
        with transaction.atomic():
            _erase_store(item.store, customer, not item.erase, address)
            receipt["done"].append(item.store)
            RightsRequest.objects.filter(pk=request.pk).update(receipt=receipt)
    with transaction.atomic():
        if keeps and "restricted" not in receipt:
            consent_record(
                subject=customer.subject_ref,
                key=RESTRICTION_KEY,
                event="opted-out",
                source=f"rights:{request.reference}",
                actor=actor,
                evidence={"right": "erasure", "kept": sorted(keeps)},
            )
            receipt["restricted"] = True
        if "account" not in receipt["done"]:
            recipients_tell(request=request, customer=customer, action="erasure", now=now)
            account_erase(customer)
            receipt["done"].append("account")
        receipt.pop("address", None)
        request.receipt = receipt
        request.requester_email = address
        request.save(update_fields=["receipt", "requester_email"])
        step_add(request=request, actor=actor.ref, action="erased", now=now, kept=sorted(keeps))
        audit_append(
            actor=actor,
            action="rights.erased",
            outcome="done",
            subject=customer.subject_ref,
            categories=("user.unique_id",),
            use="essential.legal_obligation",
            clauses=("RIGHTS-17",),
            detail={"reference": request.reference, "kept": sorted(keeps)},
        )
    return receipt
