"""The gate's rules before any subject choice is read, with messages a developer can act on.

``verdict_for`` is pure and runs once per distinct question (the gate remembers the
verdict); it says either why the rulebook refuses, or which choices of the subject the
answer still depends on. Every refusal message names the policy element it comes from
and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import NamedTuple

from keepfaith.gate.choices import RESTRICTION_KEY, ChoiceStatus, go_ahead_key, use_applies
from keepfaith.policy.rulebook import RecipientRule, Rulebook, UseRule
from keepfaith.policy.trace import enforces

KIND_NAMES = {
    "staff": "staff role",
    "processor": "processor",
    "outside_party": "outside party",
    "partner": "partner",
}


class ChoiceCheck(NamedTuple):
    """A choice the answer depends on: its key, and (allowed, reason) for each status.

    A ``quiet`` check (restriction, objection) only speaks when it refuses: when it allows,
    the decision keeps the reason and choice state of the use's own checks."""

    key: str
    outcomes: dict[ChoiceStatus, tuple[bool, str]]
    quiet: bool = False


class Verdict(NamedTuple):
    """The rulebook's answer: a refusal reason, or the choices still to read."""

    refusal: str | None
    reason: str
    clauses: tuple[str, ...]
    checks: tuple[ChoiceCheck, ...]


class _Refused(Exception):
    def __init__(self, reason: str, clauses: Iterable[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.clauses = tuple(clauses)


def verdict_for(
    book: Rulebook,
    use: str,
    cats: tuple[str, ...],
    recipient: str | None,
    aggregate: bool | str,
    has_subject: bool,
) -> Verdict:
    """Apply the rules on use, categories, log linking, recipient and choice kind."""
    rule = book.uses.get(use)
    try:
        if rule is None:
            raise _Refused(_unknown("use", use, book.uses, "declare it under uses"))
        _check_categories(book, rule, cats)
        _check_unlinkable(book, cats, has_subject)
        party = _check_recipient(book, rule, cats, recipient, aggregate, has_subject)
        checks = _choice_checks(rule, party, has_subject) + _rights_checks(book, rule, has_subject)
    except _Refused as refused:
        own = () if rule is None else rule.clauses
        return Verdict(refused.reason, refused.reason, _merge(refused.clauses, own), ())
    target = None if recipient is None else book.recipients.get(recipient)
    extra = () if target is None else target.clauses
    reason = f"allowed: use {use!r} ({rule.path}, choice {rule.choice}) may process " + (
        ", ".join(cats) + ("" if recipient is None else f" for recipient {recipient!r}")
    )
    return Verdict(None, reason, _merge(rule.clauses, extra), checks)


def _merge(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(clause for group in groups for clause in group))


def _unknown(what: str, key: object, known: Iterable[str], fix: str) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{what} {key!r} is not declared in the policy{hint}: {fix}"


@enforces("QS-2")
def _check_categories(book: Rulebook, rule: UseRule, cats: tuple[str, ...]) -> None:
    if not cats:
        raise _Refused(
            f"use {rule.key!r}: no data categories named; pass the categories it processes, "
            f"e.g. categories=({rule.declared[0]!r},)"
        )
    for cat in cats:
        if cat not in book.known_categories:
            fix = "use a fideslang key or declare it under taxonomy.data_categories"
            raise _Refused(_unknown("data category", cat, book.known_categories, fix))
        if (rule.key, cat) not in book.use_categories:
            raise _Refused(
                f"use {rule.key!r} may not process {cat!r}: the policy declares it only for "
                f"{', '.join(rule.declared)} (policy: {rule.path}); add {cat!r} to "
                f"{rule.path}.categories, or ask for a use that declares it"
            )


@enforces("BE-5")
def _check_unlinkable(book: Rulebook, cats: tuple[str, ...], has_subject: bool) -> None:
    """BE-5: log data (IP addresses) is never linked to a person."""
    if not has_subject:
        return
    for cat in cats:
        if cat in book.unlinkable_categories:
            raise _Refused(
                f"{cat!r} comes from the access logs, which are never linked to a person "
                "(policy: log_files.linked_to_customers is false); decide without subject= "
                "and work on pseudonyms only",
                book.unlinkable_clauses,
            )


@enforces("QS-5")
def _check_recipient(
    book: Rulebook,
    rule: UseRule,
    cats: tuple[str, ...],
    recipient: str | None,
    aggregate: bool | str,
    has_subject: bool,
) -> str | None:
    """Refuse what the recipient may not receive; return an outside party's key."""
    if recipient is None:
        return None
    target = book.recipients.get(recipient)
    if target is None:
        fix = "declare it under recipients (staff, processors, outside_parties or partners)"
        raise _Refused(_unknown("recipient", recipient, book.recipients, fix))
    if target.kind == "partner":
        _check_partner(book, target, cats, aggregate, has_subject)
    allowed = book.recipient_categories.get((recipient, rule.key))
    name = f"{KIND_NAMES[target.kind]} {recipient!r}"
    if allowed is None:
        raise _Refused(
            f"{name} does not receive data for use {rule.key!r}: it is declared only for "
            f"{', '.join(target.uses)} (policy: {target.path}); ask for one of those uses",
            target.clauses,
        )
    for cat in cats:
        if cat not in allowed:
            raise _Refused(
                f"{name} may not receive {cat!r} for use {rule.key!r}: it receives only "
                f"{', '.join(sorted(target.declared))} (policy: {target.path}); "
                + _who_may(book, rule.key, cat),
                _merge(target.clauses, rule.clauses),
            )
    return recipient if target.kind == "outside_party" else None


def _who_may(book: Rulebook, use: str, cat: str) -> str:
    keys = sorted(
        r for (r, u), cats in book.recipient_categories.items() if u == use and cat in cats
    )
    if not keys:
        return f"no recipient may receive {cat!r} for this use"
    return f"{cat!r} goes only to: {', '.join(keys)}"


@enforces("BE-6")
def _check_partner(
    book: Rulebook,
    target: RecipientRule,
    cats: tuple[str, ...],
    aggregate: bool | str,
    subject: bool,
) -> None:
    """BE-6: partners get aggregates only, never about one subject, never financial data;
    an aggregate named (``aggregate="countries"``) must be one the policy lists for them."""
    name = f"partner {target.key!r}"
    for cat in cats:
        if cat in book.financial_categories:
            raise _Refused(
                f"{name} never receives financial data ({cat!r}) (policy: {target.path}); "
                "leave it out of the aggregate",
                target.clauses,
            )
    if subject:
        raise _Refused(
            f"{name} receives aggregates only, never data about one subject (policy: "
            f"{target.path}); drop subject= and send an aggregate report",
            target.clauses,
        )
    if not aggregate:
        raise _Refused(
            f"{name} receives aggregates only (policy: {target.path}: "
            f"{', '.join(target.aggregates)}); pass aggregate=True for a report that passed "
            "the small-cell rule, never rows about people",
            target.clauses,
        )
    if isinstance(aggregate, str) and aggregate not in target.aggregates:
        raise _Refused(
            f"{name} does not receive the aggregate {aggregate!r}: the policy lists only "
            f"{', '.join(target.aggregates)} (policy: {target.path}.aggregates); add it there "
            "and publish the policy, or leave it out",
            target.clauses,
        )


def _choice_checks(rule: UseRule, party: str | None, has_subject: bool) -> tuple[ChoiceCheck, ...]:
    checks = []
    if rule.choice != "none":
        checks.append(_use_check(rule))
    if party is not None:
        checks.append(_go_ahead_check(party))
    if checks and not has_subject:
        what = f"use {rule.key!r} is {rule.choice}" if rule.choice != "none" else ""
        what = what or f"outside party {party!r} needs a go-ahead"
        raise _Refused(
            f"{what}: the answer depends on the subject's choice; pass subject= "
            f"(policy: {rule.path})"
        )
    return tuple(checks)


@enforces("BE-2", "QS-4", "BE-8")
def _use_check(rule: UseRule) -> ChoiceCheck:
    use, where = rule.key, f"policy: {rule.path}, choice {rule.choice}"
    allowed = f"allowed: use {use!r} ({where})"
    reasons = {
        ChoiceStatus.GIVEN: f"{allowed}: the subject agreed",
        ChoiceStatus.NOT_ASKED: f"{allowed}: the subject has not opted out",
    }
    not_asked = (
        f"use {use!r} is opt-in and the subject has not consented ({where}); ask for "
        "consent and record it in the consent ledger first"
    )
    if rule.answer_required:
        not_asked = (
            f"use {use!r} is opt-out, but the controller's law forbids a pre-ticked box, so it "
            f"needs the subject's answer and they were never asked ({where}); offer the choice "
            "(a form or the preferences page) and record the answer first"
        )
    refusals = {ChoiceStatus.NOT_ASKED: not_asked}
    declined = (
        f"the subject declined use {use!r} ({where}); leave this subject out "
        "(a mail kind's audience_filter does that)"
    )
    outcomes = {}
    for status in ChoiceStatus:
        if use_applies(rule.choice, status, answer_required=rule.answer_required):
            outcomes[status] = (True, reasons[status])
        else:
            outcomes[status] = (False, refusals.get(status, declined))
    return ChoiceCheck(use, outcomes)


@enforces("BE-10")
def _go_ahead_check(party: str) -> ChoiceCheck:
    key = go_ahead_key(party)
    missing = (
        False,
        f"outside party {party!r} needs the subject's go-ahead before it gets anything: "
        f"show its notice and record the subject's choice {key!r} in the consent ledger",
    )
    declined = (
        False,
        f"the subject chose not to go on with outside party {party!r}; stop this flow "
        "and send it nothing",
    )
    return ChoiceCheck(
        key,
        {
            ChoiceStatus.GIVEN: (True, f"allowed: the subject gave the go-ahead for {party!r}"),
            ChoiceStatus.NOT_ASKED: missing,
            ChoiceStatus.OPTED_OUT: declined,
            ChoiceStatus.WITHDRAWN: declined,
        },
    )


def _rights_checks(book: Rulebook, rule: UseRule, has_subject: bool) -> tuple[ChoiceCheck, ...]:
    """A subject's restriction (Art. 18) and objection (Art. 21), read with every decision
    about them: a restricted subject's data serves only the uses the policy's
    ``rights.restriction_permits`` names; an objection to a legitimate-interest use stops it."""
    if not has_subject or book.restriction_permits is None:
        return ()
    checks = []
    if book.restriction_refuses(rule.key):
        checks.append(_restriction_check(book, rule))
    if rule.key in book.objection_uses and rule.choice == "none":
        checks.append(_objection_check(rule))
    return tuple(checks)


@enforces("RIGHTS-18")
def _restriction_check(book: Rulebook, rule: UseRule) -> ChoiceCheck:
    permits = ", ".join(sorted(book.restriction_permits or ())) or "storage only"
    refused = (
        False,
        f"the subject restricted the processing of their data (Art. 18; policy: "
        f"rights.restriction_permits: {permits}); use {rule.key!r} is not among the uses a "
        "restriction allows: leave this subject out until the restriction is lifted",
    )
    ok = (True, f"allowed: no restriction of processing for use {rule.key!r}")
    outcomes = {status: ok for status in ChoiceStatus}
    outcomes[ChoiceStatus.OPTED_OUT] = refused
    return ChoiceCheck(RESTRICTION_KEY, outcomes, quiet=True)


@enforces("RIGHTS-21")
def _objection_check(rule: UseRule) -> ChoiceCheck:
    refused = (
        False,
        f"the subject objected to use {rule.key!r} (Art. 21; policy: rights.objection_uses); "
        "leave this subject out",
    )
    ok = (True, f"allowed: use {rule.key!r} ({rule.path}): the subject has not objected")
    outcomes = {status: ok for status in ChoiceStatus}
    outcomes[ChoiceStatus.OPTED_OUT] = refused
    outcomes[ChoiceStatus.WITHDRAWN] = refused
    return ChoiceCheck(rule.key, outcomes, quiet=True)
