"""Compile a policy version into a frozen rulebook: the lookup tables the gate decides from.

A policy file is written for people; the gate must answer "may this use process these
categories, for this recipient?" in a few dictionary lookups. ``compile_rulebook`` turns a
``Policy`` into a ``Rulebook`` (the composition root does it once per policy version) and
precomputes the taxonomy: a use declared for ``user.contact`` covers every known key below
it (``user.contact.email``, ``user.contact.address.city``...), so no decision walks strings.

Rules the tables keep:

- a category counts only if it is a known taxonomy key (fideslang or the file's extensions);
- a recipient receives, for each of its uses, only its categories that the use declares too;
- partners receive aggregates only and never a financial category (BE-6), even if the file
  names one;
- log categories (the IP address) are never linked to a subject when the policy says the
  logs are not linked to customers (BE-5).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from keepfaith.policy.jurisdiction import answer_required
from keepfaith.policy.references import default_taxonomy_keys
from keepfaith.policy.schema import Policy, Use

RecipientKind = Literal["staff", "processor", "outside_party", "partner"]
FINANCIAL_ROOT = "user.financial"


@dataclass(frozen=True, slots=True)
class UseRule:
    """One use: what it may process, what the subject may decide, whom it reaches."""

    key: str
    path: str
    choice: str
    audience: tuple[str, ...]
    retention: str
    declared: tuple[str, ...]
    categories: frozenset[str]
    clauses: tuple[str, ...]
    answer_required: bool = False  # opt-out, but a yes is needed first (the EU; jurisdiction)


@dataclass(frozen=True, slots=True)
class RecipientRule:
    """A staff role, processor, outside party or partner, and what it may receive."""

    key: str
    kind: RecipientKind
    path: str
    uses: tuple[str, ...]
    declared: tuple[str, ...]
    clauses: tuple[str, ...]
    aggregates: tuple[str, ...] = ()
    min_cell_size: int | None = None


@dataclass(frozen=True, slots=True)
class CookieRule:
    """A cookie: its purpose (a use) and whether it is set without asking."""

    name: str
    purpose: str
    essential: bool
    party: str
    recipient: str | None
    lifetime: str
    clauses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MailRule:
    """A kind of e-mail: the use it serves, that use's choice and audience (BE-8)."""

    kind: str
    use: str
    unsubscribable: bool
    choice: str
    audience: tuple[str, ...]
    clauses: tuple[str, ...]
    names: tuple[tuple[str, str], ...] = ()  # (language, the use's name): what people read
    answer_required: bool = False  # as the use's ``UseRule.answer_required``

    def name(self, lang: str) -> str:
        """The use's name in ``lang`` (English if none), the kind's key if the use has none."""
        found = dict(self.names)
        return found.get(lang) or found.get("en") or self.kind


@dataclass(frozen=True, slots=True)
class CollectionRule:
    """A form: the categories it may collect and the choices it must offer (QS-2, BE-9)."""

    id: str
    property: str
    categories: frozenset[str]
    required: frozenset[str]
    uses: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]
    outside_party: str | None
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class Rulebook:
    """The frozen tables of one policy version. Build it with ``compile_rulebook``.

    ``use_categories`` holds every allowed (use, category) pair, the taxonomy already
    expanded; ``recipient_categories`` maps (recipient, use) to the categories that
    recipient may receive for that use.
    """

    version: str
    digest: str
    uses: Mapping[str, UseRule]
    use_categories: frozenset[tuple[str, str]]
    recipients: Mapping[str, RecipientRule]
    recipient_categories: Mapping[tuple[str, str], frozenset[str]]
    cookies: Mapping[str, CookieRule]
    mail_kinds: Mapping[str, MailRule]
    collection_points: Mapping[str, CollectionRule]
    known_categories: frozenset[str]
    financial_categories: frozenset[str]
    unlinkable_categories: frozenset[str]
    unlinkable_clauses: tuple[str, ...]
    restriction_permits: frozenset[str] | None = None
    objection_uses: frozenset[str] = frozenset()
    rights_clauses: tuple[str, ...] = ()
    complaints_to: tuple[str, str] | None = None  # the supervisory authority: (name, URL)

    def restriction_refuses(self, use: str) -> bool:
        """Does a restriction (Art. 18) stop ``use`` for the subject who asked for it?"""
        return self.restriction_permits is not None and use not in self.restriction_permits


def policy_digest(policy: Policy) -> str:
    """A hash of the policy's content: equal policies share one rulebook."""
    return hashlib.sha256(policy.model_dump_json().encode("utf-8")).hexdigest()


def compile_rulebook(policy: Policy) -> Rulebook:
    """The rulebook of ``policy``. Pure and uncached: the composition root
    (``keepfaith.inforce``) compiles each published version once."""
    return _compile(policy, policy_digest(policy))


def _compile(policy: Policy, digest: str) -> Rulebook:
    known = _known_categories(policy)
    under = _descendants(known)
    country = policy.controller.jurisdiction
    uses = {use.key: _use_rule(index, use, under, country) for index, use in enumerate(policy.uses)}
    pairs = frozenset((key, cat) for key, rule in uses.items() for cat in rule.categories)
    recipients = _recipient_rules(policy)
    financial = under.get(FINANCIAL_ROOT, frozenset())
    rights = policy.rights
    logs = policy.log_files
    unlinkable = frozenset() if logs is None else _expand(logs.categories, under)
    return Rulebook(
        version=policy.version,
        digest=digest,
        uses=MappingProxyType(uses),
        use_categories=pairs,
        recipients=MappingProxyType({rule.key: rule for rule in recipients}),
        recipient_categories=_recipient_table(recipients, uses, under, financial),
        cookies=_cookie_table(policy),
        mail_kinds=_mail_table(policy),
        collection_points=_collection_table(policy, under),
        known_categories=known,
        financial_categories=financial,
        unlinkable_categories=unlinkable,
        unlinkable_clauses=() if logs is None else tuple(logs.clauses),
        restriction_permits=None if rights is None else frozenset(rights.restriction_permits),
        objection_uses=frozenset() if rights is None else frozenset(rights.objection_uses),
        rights_clauses=() if rights is None else tuple(rights.clauses),
        complaints_to=None
        if rights is None
        else (rights.supervisory_authority.name, rights.supervisory_authority.url),
    )


def _known_categories(policy: Policy) -> frozenset[str]:
    own = (entry.key for entry in policy.taxonomy.data_categories)
    return default_taxonomy_keys()["data_categories"] | frozenset(own)


def _descendants(known: frozenset[str]) -> dict[str, frozenset[str]]:
    """Map every known key to itself plus every known key below it."""
    below: dict[str, set[str]] = {key: {key} for key in known}
    for key in known:
        parts = key.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in below:
                below[parent].add(key)
    return {key: frozenset(keys) for key, keys in below.items()}


def _expand(keys: Iterable[str], under: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The known keys covered by ``keys`` (unknown keys cover nothing)."""
    return frozenset(cat for key in keys for cat in under.get(key, ()))


def _use_rule(index: int, use: Use, under: Mapping[str, frozenset[str]], country: str) -> UseRule:
    return UseRule(
        key=use.key,
        path=f"uses[{index}]",
        choice=use.choice,
        audience=tuple(use.audience),
        retention=use.retention,
        declared=tuple(use.categories),
        categories=_expand(use.categories, under),
        clauses=tuple(use.clauses),
        answer_required=answer_required(use.choice, country=country),
    )


def _recipient_rules(policy: Policy) -> list[RecipientRule]:
    rec = policy.recipients
    rules = [
        RecipientRule(s.role, "staff", f"recipients.staff[{i}]", s.uses, s.categories, s.clauses)
        for i, s in enumerate(rec.staff)
    ]
    rules += [
        RecipientRule(p.key, "processor", f"recipients.processors[{i}]", p.uses, p.categories,
                      p.clauses)
        for i, p in enumerate(rec.processors)
    ]  # fmt: skip
    rules += [
        RecipientRule(o.key, "outside_party", f"recipients.outside_parties[{i}]", o.uses,
                      o.categories, o.clauses)
        for i, o in enumerate(rec.outside_parties)
    ]  # fmt: skip
    rules += [
        RecipientRule(p.key, "partner", f"recipients.partners[{i}]", p.uses, p.categories,
                      p.clauses, p.aggregates, p.min_cell_size)
        for i, p in enumerate(rec.partners)
    ]  # fmt: skip
    return rules


def _recipient_table(
    recipients: Iterable[RecipientRule],
    uses: Mapping[str, UseRule],
    under: Mapping[str, frozenset[str]],
    financial: frozenset[str],
) -> Mapping[tuple[str, str], frozenset[str]]:
    """(recipient, use) -> categories it may receive: its own that the use declares too."""
    table: dict[tuple[str, str], frozenset[str]] = {}
    for rule in recipients:
        own = _expand(rule.declared, under)
        if rule.kind == "partner":
            own -= financial
        for use_key in rule.uses:
            use = uses.get(use_key)
            if use is not None:
                table[(rule.key, use_key)] = own & use.categories
    return MappingProxyType(table)


def _cookie_table(policy: Policy) -> Mapping[str, CookieRule]:
    return MappingProxyType(
        {
            c.name: CookieRule(
                c.name, c.purpose, c.essential, c.party, c.recipient, c.lifetime, c.clauses
            )
            for c in policy.cookies
        }
    )


def _mail_table(policy: Policy) -> Mapping[str, MailRule]:
    table: dict[str, MailRule] = {}
    for kind in policy.mail_kinds:
        use = policy.use_by_key(kind.use)
        choice = "none" if use is None else use.choice
        audience = () if use is None else tuple(use.audience)
        names = () if use is None else _names(use.name)
        table[kind.key] = MailRule(
            kind.key,
            kind.use,
            kind.unsubscribe,
            choice,
            audience,
            tuple(kind.clauses),
            names,
            answer_required(choice, country=policy.controller.jurisdiction),
        )
    return MappingProxyType(table)


def _names(text: str | Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return (("en", text),) if isinstance(text, str) else tuple(sorted(text.items()))


def _collection_table(
    policy: Policy, under: Mapping[str, frozenset[str]]
) -> Mapping[str, CollectionRule]:
    table: dict[str, CollectionRule] = {}
    for point in policy.collection_points:
        choices = tuple(
            (key, use.choice if (use := policy.use_by_key(key)) is not None else "none")
            for key in point.choices
        )
        table[point.id] = CollectionRule(
            id=point.id,
            property=point.property,
            categories=_expand(point.category_keys(), under),
            required=frozenset(item.category for item in point.categories if item.required),
            uses=tuple(point.uses),
            choices=choices,
            outside_party=point.outside_party,
            clauses=tuple(point.clauses),
        )
    return MappingProxyType(table)
