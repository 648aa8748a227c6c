"""The gate: the one place that combines the rulebook with a subject's choices.

``Gate.check`` returns a ``Decision``; ``Gate.require`` raises ``PolicyViolation`` on a
refusal. The rules (see ``keepfaith.gate.rules``), in order:

1. the use must be declared;
2. every category must be a known taxonomy key declared for the use (``user.contact``
   covers ``user.contact.email``);
3. log categories (the IP address) are never linked to a subject (BE-5);
4. a recipient must be declared for the use and receives only its own categories: a
   processor only for its uses (QS-5); a partner only aggregates (``aggregate=True``, or
   the aggregate's name, which the partner's ``aggregates`` must list), never about one
   subject and never financial data (BE-6); an outside party only after
   the subject's go-ahead, the choice ``outside_party:<key>`` (BE-10);
5. the use's choice: ``none`` needs no subject choice; ``opt-out`` is allowed unless the
   subject opted out or withdrew (BE-8, QS-4); ``opt-in`` only after consent (BE-2). A use
   with a choice needs a subject.

Every decision with a subject, refusals included, goes to the audit sink.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, cast

from keepfaith.gate.choices import ChoiceSource, ChoiceState
from keepfaith.gate.rules import Verdict, verdict_for
from keepfaith.policy.rulebook import MailRule, Rulebook, compile_rulebook
from keepfaith.policy.schema import Policy

_MEMO_MAX = 8192


class Decision(NamedTuple):
    """The gate's answer. Immutable, and truthy exactly when ``allowed``.

    A NamedTuple rather than a frozen dataclass: one is built per decision, and a frozen
    dataclass costs about twenty times more to construct (2.6 us against 0.13 us here).
    """

    allowed: bool
    reason: str
    clauses: tuple[str, ...]
    use: str
    categories: tuple[str, ...]
    recipient: str | None
    subject: str | None
    choice_state: ChoiceState | None
    context: str | None

    def __bool__(self) -> bool:
        return self.allowed


class PolicyViolation(Exception):
    """A refused use of personal data; ``decision`` says what and why, the message the fix."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


AuditSink = Callable[[Decision], object]

_new_decision = cast(
    Callable[[tuple[object, ...]], Decision], lambda values: tuple.__new__(Decision, values)
)


def audit_fields(decision: Decision) -> dict[str, Any]:
    """The keyword arguments of ``audit_append`` (all but ``actor``) for a decision."""
    state = decision.choice_state
    return {
        "action": "gate.check",
        "outcome": "allowed" if decision.allowed else "refused",
        "subject": decision.subject or "",
        "categories": decision.categories,
        "use": decision.use,
        "clauses": decision.clauses,
        "detail": {
            "reason": decision.reason,
            "recipient": decision.recipient,
            "choice": None if state is None else str(state.status),
            "choice_policy_version": None if state is None else state.policy_version,
            "context": decision.context,
        },
    }


class AudienceFilter(NamedTuple):
    """What an audience query for a mail kind filters on (BE-8)."""

    use: str
    choice: str
    audience: tuple[str, ...]
    unsubscribable: bool
    answer_required: bool = False  # opt-out, but only subjects who answered yes (the EU)
    restricted_left_out: bool = False  # a restriction (Art. 18) does not permit this use


class Gate:
    """Decides every use of personal data from one rulebook and a ``ChoiceSource``."""

    def __init__(
        self, rulebook: Rulebook, choices: ChoiceSource, *, audit: AuditSink | None = None
    ) -> None:
        self.rulebook = rulebook
        self.choices = choices
        self.audit = audit
        self._verdicts: dict[tuple[object, ...], Verdict] = {}

    @classmethod
    def from_policy(
        cls, policy: Policy, choices: ChoiceSource, audit: AuditSink | None = None
    ) -> Gate:
        """A gate for ``policy``; its rulebook is compiled once per policy content."""
        return cls(compile_rulebook(policy), choices, audit=audit)

    def check(
        self,
        *,
        use: str,
        categories: Iterable[str],
        subject: str | None = None,
        recipient: str | None = None,
        aggregate: bool | str = False,
        purpose_context: str | None = None,
    ) -> Decision:
        """May ``use`` process ``categories`` (about ``subject``, sent to ``recipient``)?

        ``aggregate`` says the data leaves only as aggregates that passed the small-cell
        rule (required for partners); a string names the aggregate, which a partner must
        have in its ``aggregates``. ``purpose_context`` is free text kept with the
        decision in the audit log (e.g. ``campaign:42``). Never raises for str arguments.
        """
        cats = (categories,) if isinstance(categories, str) else tuple(categories)
        key = (use, cats, recipient, aggregate, subject is None)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._remember(key, use, cats, recipient, aggregate, subject is not None)
        allowed = verdict.refusal is None
        reason = verdict.refusal or verdict.reason
        state = None
        if allowed and subject is not None:
            for check in verdict.checks:
                found = self.choices.choice_for(subject, check.key)
                ok, why = check.outcomes[found.status]
                if check.quiet and ok:
                    continue
                allowed, reason, state = ok, why, found
                if not allowed:
                    break
        decision = _new_decision(
            (allowed, reason, verdict.clauses, use, cats, recipient, subject, state,
             purpose_context)
        )  # fmt: skip
        if subject is not None and self.audit is not None:
            self.audit(decision)
        return decision

    def require(
        self,
        *,
        use: str,
        categories: Iterable[str],
        subject: str | None = None,
        recipient: str | None = None,
        aggregate: bool | str = False,
        purpose_context: str | None = None,
    ) -> Decision:
        """Like ``check``, but a refusal raises ``PolicyViolation`` naming the fix."""
        decision = self.check(
            use=use,
            categories=categories,
            subject=subject,
            recipient=recipient,
            aggregate=aggregate,
            purpose_context=purpose_context,
        )
        if not decision.allowed:
            raise PolicyViolation(decision)
        return decision

    def cookie_allowed(self, name: str, consented_uses: Iterable[str]) -> bool:
        """May cookie ``name`` be set? Essential ones always, others after consent (QS-7, BE-4).

        A cookie the policy does not list is never allowed.
        """
        rule = self.rulebook.cookies.get(name)
        if rule is None:
            return False
        return rule.essential or rule.purpose in frozenset(consented_uses)

    def mail_kind(self, kind: str) -> MailRule:
        """Mail kind ``kind``: its use, choice and whether it can be unsubscribed (BE-8)."""
        rule = self.rulebook.mail_kinds.get(kind)
        if rule is None:
            known = ", ".join(sorted(self.rulebook.mail_kinds)) or "none"
            raise LookupError(f"mail kind {kind!r} is not in the policy (mail_kinds: {known})")
        return rule

    def audience_filter(self, kind: str) -> AudienceFilter:
        """What an audience query for mail kind ``kind`` must filter on."""
        rule = self.mail_kind(kind)
        return AudienceFilter(
            rule.use,
            rule.choice,
            rule.audience,
            rule.unsubscribable,
            rule.answer_required,
            self.rulebook.restriction_refuses(rule.use),
        )

    def _remember(
        self,
        key: tuple[object, ...],
        use: str,
        cats: tuple[str, ...],
        recipient: str | None,
        aggregate: bool | str,
        has_subject: bool,
    ) -> Verdict:
        verdict = verdict_for(self.rulebook, use, cats, recipient, aggregate, has_subject)
        if len(self._verdicts) >= _MEMO_MAX:
            self._verdicts.clear()
        self._verdicts[key] = verdict
        return verdict
