"""A subject's choices as the gate reads them, and the interface the consent ledger implements.

The gate never stores a choice; it asks a ``ChoiceSource`` for the subject's current state
for one key. The key is a use key (``marketing.communications.email``) or, for the
go-ahead a subject gives before data goes to an outside party (BE-10),
``outside_party:<recipient key>`` (``go_ahead_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

OUTSIDE_PARTY_PREFIX = "outside_party:"
RESTRICTION_KEY = "rights:restriction"
"""The choice key of a restriction of processing (Art. 18): ``opted-out`` means the subject's
data serves nothing but storage and the uses the policy's ``rights.restriction_permits``
names; ``withdrawn`` means the restriction was lifted."""


class ChoiceStatus(StrEnum):
    """What a subject decided about one key."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    OPTED_OUT = "opted-out"
    NOT_ASKED = "not-asked"


@dataclass(frozen=True, slots=True)
class ChoiceState:
    """A subject's current choice for one key, and the policy version it was made under."""

    status: ChoiceStatus
    policy_version: str | None = None


NOT_ASKED = ChoiceState(ChoiceStatus.NOT_ASKED)
DECLINED = frozenset({ChoiceStatus.OPTED_OUT, ChoiceStatus.WITHDRAWN})


def use_applies(choice: str, status: ChoiceStatus, *, answer_required: bool = False) -> bool:
    """The gate's rule 5: does a use whose policy choice is ``choice`` (none, opt-out, opt-in)
    apply to a subject in state ``status``? ``none`` always; ``opt-out`` unless the subject
    declined; ``opt-in`` only once consent was given. Pages that show a choice as on or off
    read this, so what a customer sees is what the gate decides.

    ``answer_required``: the controller's law forbids a pre-ticked opt-out box (the EU), so
    the forms ask with an empty box and an opt-out use reaches only a subject who answered
    yes; one never asked (imported, or signed up before the use existed) is left out."""
    if choice == "none":
        return True
    if status in DECLINED:
        return False
    if choice == "opt-in" or answer_required:
        return status == ChoiceStatus.GIVEN
    return True


class ChoiceSource(Protocol):
    """Where the gate reads a subject's choices; the consent ledger implements it."""

    def choice_for(self, subject: str, key: str) -> ChoiceState:
        """The subject's current choice for ``key``; ``NOT_ASKED`` when none is recorded."""
        ...


def go_ahead_key(party: str) -> str:
    """The choice key under which a subject's go-ahead for an outside party is recorded."""
    return OUTSIDE_PARTY_PREFIX + party


_EMPTY: dict[str, ChoiceState] = {}


class InMemoryChoices:
    """A ``ChoiceSource`` held in a dict, for tests and benchmarks."""

    def __init__(self) -> None:
        self._states: dict[str, dict[str, ChoiceState]] = {}

    def record(
        self, subject: str, key: str, status: ChoiceStatus, *, policy_version: str | None = None
    ) -> None:
        """Record ``subject``'s choice for ``key`` (a use key or ``go_ahead_key(party)``)."""
        self._states.setdefault(subject, {})[key] = ChoiceState(status, policy_version)

    def choice_for(self, subject: str, key: str) -> ChoiceState:
        """The subject's choice for ``key``; not asked when nothing was recorded."""
        return self._states.get(subject, _EMPTY).get(key, NOT_ASKED)
