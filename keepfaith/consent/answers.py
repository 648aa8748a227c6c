"""One path from a person's answers on a page to the consent ledger.

Every page that asks about choices (a collecting form, the preferences page, the re-consent
page) states, per choice, the state its control *showed* and the state that came back, and
``answers_record`` turns that into ledger events:

- an answer equal to what was shown records nothing: the person did not touch it, so nothing
  happened that they chose (a save of "My contact details" never changes a marketing choice);
- a changed answer records the one event that brings the choice there (``given`` or
  ``opted-in`` to turn it on, ``withdrawn`` or ``opted-out`` to turn it off), unless the
  ledger is there already (another tab answered first);
- ``first_answer``: the person is asked for the first time (sign-up, a visitor's form, a
  yes/no question without a default): every answer is recorded, untouched ones included,
  because leaving an unticked box unticked is the answer "no".

What a control shows for a choice already answered is ``shown_on``: the gate's own rule
(``keepfaith.gate.use_applies``), so the page, the ledger and the gate always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from keepfaith.audit.services import Actor
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices, recorded_agreements
from keepfaith.consent.services import consent_record_many
from keepfaith.gate.choices import DECLINED, NOT_ASKED, ChoiceState, ChoiceStatus, use_applies
from keepfaith.policy import Policy
from keepfaith.policy.trace import enforces
from keepfaith.versions.models import PolicyVersion

__all__ = ["Answer", "answer_events", "answers_record", "choices_decline", "shown_on"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One choice as a page asked it: the use, its policy choice (opt-in or opt-out), the
    state its control showed, and the state the person sent back."""

    use: str
    choice: str
    shown: bool
    answered: bool


def shown_on(choice: str, state: ChoiceState | None, *, answer_required: bool = False) -> bool:
    """The state a control shows for a choice of a subject: on exactly when the gate would
    let the use reach them (``answer_required`` as the use's rule has it)."""
    return use_applies(choice, (state or NOT_ASKED).status, answer_required=answer_required)


def _event(answer: Answer, status: ChoiceStatus, agreed: bool) -> str | None:
    """The event that brings the choice to the answer; ``agreed``: the ledger's last word on
    it was an agreement (even one a newer policy version asks again)."""
    if answer.answered:
        if status == ChoiceStatus.GIVEN:
            return None
        return "given" if answer.choice == "opt-in" else "opted-in"
    if status in DECLINED:
        return None
    if agreed and answer.choice == "opt-in":
        return "withdrawn"
    return "opted-out"


def answer_events(
    answers: Iterable[Answer],
    current: Mapping[str, ChoiceState],
    *,
    first_answer: bool,
    agreed: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Use key -> the ledger event each answer means (see the module docstring). ``current``
    is what the gate reads; ``agreed`` the keys whose last recorded event agreed."""
    events: dict[str, str] = {}
    for answer in answers:
        if answer.answered == answer.shown and not first_answer:
            continue
        state = current.get(answer.use, NOT_ASKED).status
        event = _event(answer, state, answer.use in agreed)
        if event is not None:
            events[answer.use] = event
    return events


@enforces("BE-2", "BE-9", "QS-4")
def answers_record(
    *,
    subject: str,
    answers: Iterable[Answer],
    first_answer: bool = False,
    notice_use: str | None = None,
    source: str,
    policy: Policy,
    version: PolicyVersion | None,
    evidence: Mapping[str, Any],
    actor: Actor | None = None,
) -> list[ConsentEvent]:
    """Record what ``subject`` answered on one page, in one ledger transaction.

    ``notice_use``: the page also collected data for that use, so a ``notice-acknowledged``
    event names the policy version shown (BE-2). Returns the events written (none when
    nothing changed and no notice is due)."""
    listed = list(answers)
    with transaction.atomic():
        current = current_choices(subject=subject)
        agreed = recorded_agreements(subject=subject)
        changes = answer_events(listed, current, first_answer=first_answer, agreed=agreed)
        if notice_use is not None:
            changes = {notice_use: "notice-acknowledged", **changes}
        if not changes:
            return []
        return consent_record_many(
            subject=subject,
            changes=changes,
            source=source,
            policy=policy,
            policy_version=version,
            evidence=evidence,
            actor=actor,
        )


@enforces("BE-8", "BE-9", "QS-4")
def choices_decline(
    *,
    subject: str,
    keys: Iterable[str],
    source: str,
    version: PolicyVersion | None,
    evidence: Mapping[str, Any],
    actor: Actor | None = None,
) -> list[str]:
    """Decline ``keys`` for ``subject`` (an unsubscribe link, an opt-out e-mail, a GPC
    signal); keys already declined are left as they are, so the same request twice records
    nothing the second time. Returns the keys newly declined."""
    with transaction.atomic():
        current = current_choices(subject=subject)
        changes = {
            key: "opted-out"
            for key in sorted(set(keys))
            if current.get(key, NOT_ASKED).status not in DECLINED
        }
        if changes:
            consent_record_many(
                subject=subject,
                changes=changes,
                source=source,
                policy_version=version,
                evidence=evidence,
                actor=actor,
            )
    return sorted(changes)
