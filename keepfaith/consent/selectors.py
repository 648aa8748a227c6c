"""Reads of the consent ledger: current choices as the gate sees them, history, re-consent.

A consent given before a policy version that requires fresh consent for its use (BE-11,
``PolicyVersion.requires_reconsent``) no longer counts: the subject's state for that use
reads "not asked" until they answer again, so the gate refuses the use meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from keepfaith.consent.models import RECEIPT_REF_LENGTH, ConsentEvent, CurrentChoice
from keepfaith.consent.receipts import consent_receipt, consent_receipt_id
from keepfaith.gate.choices import NOT_ASKED, RESTRICTION_KEY, ChoiceState, ChoiceStatus
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

_HEX = frozenset("0123456789abcdef")

__all__ = [
    "LedgerChoices",
    "consent_event_of",
    "consent_history",
    "consent_receipt",
    "consent_receipt_id",
    "current_choices",
    "is_restricted",
    "pending_reconsent",
    "reconsent_versions",
    "recorded_agreements",
    "restricted_subjects",
]


@dataclass(frozen=True)
class ReconsentVersion:
    """The latest published version that asks for fresh consent to one use.

    ``asks_everyone``: the use newly needs consent there (added, or its choice became
    opt-in), so every customer is asked; otherwise an opt-in use took more data or a wider
    audience, and only those who had agreed to it before are asked again.
    """

    seq: int
    label: str
    published_at: dt.datetime
    asks_everyone: bool


def _newly_opt_in(changes: dict[str, Any]) -> set[str]:
    kinds = (changes or {}).get("kinds", {})
    added = kinds.get("uses", {}).get("added", [])
    flipped = kinds.get("choices", {}).get("changed", [])
    return {item["key"] for item in [*added, *flipped]}


def reconsent_versions() -> dict[str, ReconsentVersion]:
    """Use key -> the latest version whose ``requires_reconsent`` names it."""
    found: dict[str, ReconsentVersion] = {}
    rows = PolicyVersion.objects.order_by("seq").values_list(
        "seq", "label", "published_at", "requires_reconsent"
    )
    for seq, label, published_at, keys in rows:
        if not keys:
            continue
        changes = PolicyVersion.objects.values_list("changes", flat=True).get(seq=seq)
        newly = _newly_opt_in(changes)
        for key in keys:
            found[key] = ReconsentVersion(seq, label, published_at, key in newly)
    return found


def _is_stale(row: Mapping[str, Any], needed: ReconsentVersion | None) -> bool:
    """Was this agreement given before the version that asks for it again?"""
    if needed is None or row["status"] != ChoiceStatus.GIVEN:
        return False
    shown_seq = row["policy_version__seq"]
    if shown_seq is not None:
        return bool(shown_seq < needed.seq)
    return bool(row["at"] < needed.published_at)


def _states(subject: str, needed: dict[str, ReconsentVersion]) -> dict[str, ChoiceState]:
    rows = CurrentChoice.objects.filter(subject=subject).values(
        "key", "status", "at", "policy_version__seq", "policy_version__label"
    )
    states: dict[str, ChoiceState] = {}
    for row in rows:
        status = ChoiceStatus(row["status"])
        if _is_stale(row, needed.get(row["key"])):
            status = ChoiceStatus.NOT_ASKED
        states[row["key"]] = ChoiceState(status, row["policy_version__label"])
    return states


@enforces("BE-11")
def current_choices(*, subject: str) -> dict[str, ChoiceState]:
    """The subject's choices by key, as the gate reads them (stale consent reads not-asked).

    Keys the subject never answered are absent (they read ``NOT_ASKED``).
    """
    return _states(subject, reconsent_versions())


def is_restricted(*, subject: str) -> bool:
    """Whether ``subject`` restricted the processing of their data (Art. 18) and it holds."""
    return restricted_subjects().filter(subject=subject).exists()


def restricted_subjects() -> QuerySet[CurrentChoice, Any]:
    """The subjects whose restriction of processing holds (an erasure that keeps data records
    one too), as a one-column query to filter on (``subject__in=``)."""
    # ``opted-out`` restricts; ``withdrawn`` is a lifted restriction (as the gate reads it)
    rows = CurrentChoice.objects.filter(key=RESTRICTION_KEY, status=ChoiceStatus.OPTED_OUT.value)
    return rows.values("subject")


def recorded_agreements(*, subject: str) -> frozenset[str]:
    """Keys whose last recorded event for the subject agreed (given or opted in), whether or
    not a newer policy version asks again."""
    rows = CurrentChoice.objects.filter(subject=subject, status=ChoiceStatus.GIVEN.value)
    return frozenset(rows.values_list("key", flat=True))


def consent_history(*, subject: str) -> QuerySet[ConsentEvent]:
    """Every ledger event of the subject, newest first."""
    return (
        ConsentEvent.objects.filter(subject=subject)
        .select_related("policy_version")
        .order_by("-seq")
    )


def consent_event_of(*, subject: str, receipt_ref: str) -> ConsentEvent | None:
    """The event whose receipt is ``receipt_ref`` (``ConsentEvent.receipt_ref``) if it belongs
    to ``subject``; None otherwise (never another's)."""
    if not subject or len(receipt_ref) != RECEIPT_REF_LENGTH or not _HEX.issuperset(receipt_ref):
        return None
    return (
        ConsentEvent.objects.select_related("policy_version")
        .filter(subject=subject, entry_hash__startswith=receipt_ref)
        .order_by("seq")
        .first()
    )


@enforces("BE-11", features=("changes.reconsent",))
def pending_reconsent(
    *, subject: str, policy: Policy, joined: dt.datetime | None = None
) -> list[str]:
    """Opt-in uses of ``policy`` (the one in force) that a version asked fresh consent for
    and that this subject has not answered since: those that newly need consent, and those
    the subject agreed to before the version widened them. A version published before the
    subject joined (``joined``, the account's creation) asks them nothing; a subject who
    declined has answered."""
    needed = reconsent_versions()
    if not needed:
        return []
    opt_in = {use.key for use in policy.uses if use.choice == "opt-in"}
    states = _states(subject, needed)
    pending = []
    for key in sorted(opt_in & set(needed)):
        version = needed[key]
        if joined is not None and joined >= version.published_at:
            continue
        state = states.get(key)
        if state is None and version.asks_everyone:
            pending.append(key)
        elif state is not None and state.status == ChoiceStatus.NOT_ASKED:
            pending.append(key)  # agreed before the version that asks again
    return pending


class LedgerChoices:
    """The gate's ``ChoiceSource`` over the current-choices table.

    Reads each subject's choices in one query the first time it is asked about them, and
    the versions asking for re-consent once: an instance is a snapshot for one request or
    batch (``InForce.gate`` makes a new one each time). ``forget()`` drops the snapshot.
    """

    def __init__(self) -> None:
        self._needed: dict[str, ReconsentVersion] | None = None
        self._subjects: dict[str, dict[str, ChoiceState]] = {}

    def choice_for(self, subject: str, key: str) -> ChoiceState:
        """The subject's current choice for ``key``; not asked when none counts."""
        states = self._subjects.get(subject)
        if states is None:
            if self._needed is None:
                self._needed = reconsent_versions()
            states = self._subjects[subject] = _states(subject, self._needed)
        return states.get(key, NOT_ASKED)

    def forget(self) -> None:
        self._needed = None
        self._subjects.clear()
