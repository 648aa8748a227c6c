"""Reads for mail: who is in a mail kind's audience, the opt-out addresses, the queues.

The audience rule (BE-8, QS-4, BE-9): a kind's audience is one SQL query over customers and
the consent ledger's current-choices table, shaped by ``Gate.audience_filter(kind)``:

- choice ``opt-out``: every customer of the audience except those whose current choice for
  the kind's use is opted-out or withdrawn;
- choice ``opt-in``: only customers whose current choice is ``given`` and was given under
  (or after) the latest version that asked for fresh consent to that use (BE-11), exactly as
  ``LedgerChoices`` reads it;
- choice ``none`` (service announcements): every customer with an active service, whatever
  their marketing choices. Which service runs is the store's business: the caller passes
  those customers (``active_service=``, e.g. ``store.selectors.customers_with_active_service``),
  so mail never reaches up into the shop.

``tests/comms/test_audience.py`` checks that this query and ``gate.check`` agree for every
customer and every (choice, kind) combination.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from keepfaith.accounts.models import User
from keepfaith.comms.models import Campaign, InboundMessage, OptOutQueueItem, OutboxMessage
from keepfaith.comms.optout import MailKindWords
from keepfaith.consent.models import CurrentChoice
from keepfaith.consent.selectors import reconsent_versions, restricted_subjects
from keepfaith.gate import Gate
from keepfaith.gate.choices import ChoiceStatus
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

__all__ = [
    "audience_for",
    "audience_rows",
    "established_customers",
    "mail_kind_words",
    "marketing_kinds",
    "optout_addresses",
]

DECLINED = (ChoiceStatus.OPTED_OUT.value, ChoiceStatus.WITHDRAWN.value)


def established_customers() -> QuerySet[User]:
    """Customers with an account in good standing: active, not staff, with a number.

    "Established" in the policy's sense is an existing customer relationship: an active
    customer account. (Service announcements narrow this to customers with a running service.)
    """
    return User.objects.filter(is_staff=False, is_active=True, customer_number__isnull=False)


def _audience_base(use_choice: str, active_service: QuerySet[User] | None) -> QuerySet[User]:
    if use_choice != "none":
        return established_customers()
    if active_service is None:
        raise ValueError(
            "a service mail kind reaches the customers with an active service: pass "
            "active_service= (store.selectors.customers_with_active_service())"
        )
    return active_service.filter(is_staff=False, customer_number__isnull=False)


def _fresh_consent(use: str) -> Q:
    """Rows whose ``given`` still counts: not older than the version that asked again."""
    needed = reconsent_versions().get(use)
    if needed is None:
        return Q()
    later = PolicyVersion.objects.filter(seq__gte=needed.seq).values_list("pk", flat=True)
    return Q(policy_version_id__in=list(later)) | Q(
        policy_version__isnull=True, at__gte=needed.published_at
    )


@enforces("BE-8", "QS-4", "BE-9")
def audience_for(
    *, kind: str, gate: Gate, active_service: QuerySet[User] | None = None
) -> QuerySet[User]:
    """The customers a message of mail kind ``kind`` may go to, as one query (see above)."""
    rule = gate.audience_filter(kind)
    customers = _audience_base(rule.choice, active_service)
    if rule.restricted_left_out:  # counted and queued as the send will go: without them
        customers = customers.exclude(customer_number__in=restricted_subjects())
    if rule.choice == "none":
        return customers.order_by("pk")
    choices = CurrentChoice.objects.filter(subject=OuterRef("customer_number"), key=rule.use)
    if rule.choice == "opt-out" and not rule.answer_required:
        declined = choices.filter(status__in=DECLINED)
        return customers.filter(~Exists(declined)).order_by("pk")
    # opt-in, or opt-out where a yes is needed first (the EU): a yes the gate still counts
    given = choices.filter(status=ChoiceStatus.GIVEN.value).filter(_fresh_consent(rule.use))
    return customers.filter(Exists(given)).order_by("pk")


def audience_rows(
    *,
    kind: str,
    gate: Gate,
    fields: Sequence[str],
    active_service: QuerySet[User] | None = None,
    chunk: int = 5000,
) -> Iterator[tuple[Any, ...]]:
    """``audience_for`` read as plain rows of ``fields``, a chunk at a time.

    The query is the ORM's (shaped by the gate, as above); only the reading skips the ORM's
    per-row machinery, which on SQLite costs as much as the query for a large audience.
    Memory stays bounded by ``chunk`` whatever the audience size.
    """
    query = audience_for(kind=kind, gate=gate, active_service=active_service)
    query = query.values_list(*fields)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        width = len(fields)  # the SQL may select more (e.g. an ordering column)
        extra = len(cursor.description) > width
        while rows := cursor.fetchmany(chunk):
            yield from ((row[:width] for row in rows) if extra else rows)


def marketing_kinds(*, gate: Gate) -> list[str]:
    """Mail kinds a customer can unsubscribe from (the policy's marketing kinds)."""
    return sorted(k for k, rule in gate.rulebook.mail_kinds.items() if rule.unsubscribable)


def optout_addresses(*, policy: Policy) -> tuple[str, str]:
    """(unsubscribe address, privacy address): settings first, else the policy's controller.

    A policy without an unsubscribe address uses its privacy address for both (BE-9).
    """
    privacy = settings.MAIL_PRIVACY_ADDRESS or policy.controller.privacy_email
    unsubscribe = settings.MAIL_UNSUBSCRIBE_ADDRESS or policy.controller.opt_out_email
    return unsubscribe, privacy


# Words customers use for the usual kinds; every kind is also known by its own key.
_KIND_WORDS: dict[str, dict[str, list[str]]] = {
    "newsletter": {"en": ["newsletter", "newsletters"], "da": ["nyhedsbrev", "nyhedsbreve"]},
    "promotions": {
        "en": ["promotions", "offers", "deals", "product news"],
        "da": ["tilbud", "kampagner", "produktnyheder"],
    },
    "partner_promotions": {
        "en": ["partner promotions", "partner offers", "partner"],
        "da": ["partnertilbud", "partner", "samarbejdspartner"],
    },
    "service_announcements": {
        "en": ["service announcements", "service mail"],
        "da": ["servicemeddelelser"],
    },
}


def mail_kind_words(*, gate: Gate) -> list[MailKindWords]:
    """The policy's mail kinds with the words the opt-out reader looks for."""
    kinds = []
    for key, rule in sorted(gate.rulebook.mail_kinds.items()):
        if key == "transactional":
            continue
        words = {lang: list(w) for lang, w in _KIND_WORDS.get(key, {}).items()}
        words.setdefault("en", []).append(key.replace("_", " "))
        kinds.append(MailKindWords(key, words, marketing=rule.unsubscribable))
    return kinds


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-created_at", "-pk")  # same instant: newest row first


def campaign_progress(*, campaign: Campaign) -> dict[str, int]:
    """Outbox rows of the campaign by status."""
    counts = {status: 0 for status in ("queued", "sending", "sent", "skipped", "failed")}
    rows = campaign.outbox.order_by().values_list("status").annotate(n=Count("pk"))
    counts.update({status: n for status, n in rows})
    return counts


def outbox_pending() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(status__in=("queued", "sending"))


def optout_queue(*, open_only: bool = True) -> QuerySet[OptOutQueueItem]:
    items = OptOutQueueItem.objects.select_related("message").order_by("-created_at", "-pk")
    return items.filter(status=OptOutQueueItem.Status.OPEN) if open_only else items


def inbound_unprocessed() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(status__in=("stored", "failed")).order_by("pk")
