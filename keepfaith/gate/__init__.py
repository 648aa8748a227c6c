"""The policy gate: every use of personal data asks it, and honours its answer.

    from keepfaith.gate import Gate, InMemoryChoices
    gate = Gate.from_policy(policy, choices, audit=sink)
    gate.require(use="marketing.communications.email", categories=("user.contact.email",),
                 subject="C-1001")           # raises PolicyViolation when refused

See docs/gate.md. The consent ledger implements ``ChoiceSource``.
"""

from keepfaith.gate.choices import (
    DECLINED,
    NOT_ASKED,
    OUTSIDE_PARTY_PREFIX,
    RESTRICTION_KEY,
    ChoiceSource,
    ChoiceState,
    ChoiceStatus,
    InMemoryChoices,
    go_ahead_key,
    use_applies,
)
from keepfaith.gate.core import (
    AudienceFilter,
    AuditSink,
    Decision,
    Gate,
    PolicyViolation,
    audit_fields,
)

__all__ = [
    "DECLINED",
    "NOT_ASKED",
    "OUTSIDE_PARTY_PREFIX",
    "RESTRICTION_KEY",
    "AudienceFilter",
    "AuditSink",
    "ChoiceSource",
    "ChoiceState",
    "ChoiceStatus",
    "Decision",
    "Gate",
    "InMemoryChoices",
    "PolicyViolation",
    "audit_fields",
    "go_ahead_key",
    "use_applies",
]
