"""The gate for the policy in force, wired to the audit log (Django side of floor 2)."""

from __future__ import annotations

import threading

from keepfaith.audit.services import Actor, audit_append
from keepfaith.consent.selectors import LedgerChoices
from keepfaith.gate.choices import ChoiceSource
from keepfaith.gate.core import Decision, Gate, audit_fields
from keepfaith.policy.render import policy_content_hash
from keepfaith.policy.rulebook import Rulebook, compile_rulebook
from keepfaith.versions.selectors import active_policy

_lock = threading.Lock()
_rulebooks: dict[str, Rulebook] = {}


def active_rulebook() -> Rulebook:
    """The rulebook of the policy in force, compiled once per version."""
    policy, version = active_policy()
    key = version.content_hash if version is not None else policy_content_hash(policy)
    with _lock:
        book = _rulebooks.get(key)
        if book is None:
            book = _rulebooks[key] = compile_rulebook(policy)
    return book


def default_choices() -> ChoiceSource:
    """Subjects' recorded choices: the consent ledger's current-choices table, read once per
    subject by this snapshot (one gate per request or batch)."""
    return LedgerChoices()


def active_gate(*, actor: Actor, choices: ChoiceSource | None = None) -> Gate:
    """A gate over the policy in force whose decisions about a subject are audited as ``actor``."""

    def record(decision: Decision) -> None:
        audit_append(actor=actor, **audit_fields(decision))

    return Gate(active_rulebook(), choices or default_choices(), audit=record)
