"""Cross-reference checks: every key a policy names must be declared, once.

Rules kept here (each failure is an error at the path of the offending value):

- taxonomy extensions extend an existing parent as ``parent.child`` and do not redeclare a
  fideslang key; data categories and uses are fideslang keys or declared extensions
  (fideslang itself accepts any key; we do not);
- every use a form, cookie, mail kind, recipient or the log files name is declared in
  ``uses``; every property, outside party and cookie recipient named is declared;
- keys are unique within their section (recipient keys across all recipient groups);
- every multilingual text gives exactly the controller's languages;
- a recipient or form only handles categories that one of its uses needs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from keepfaith.policy.fideskeys import DATA_CATEGORIES, DATA_USES
from keepfaith.policy.problems import DataPath, Finding
from keepfaith.policy.schema import Policy, TaxonomyEntry, category_covered


@functools.cache
def default_taxonomy_keys() -> dict[str, frozenset[str]]:
    """fideslang's default data category and use keys (``fideskeys``: fideslang's own lists,
    kept as data so that no start-up imports fideslang's models)."""
    return {"data_categories": DATA_CATEGORIES, "data_uses": DATA_USES}


def taxonomy_findings(policy: Policy) -> tuple[list[Finding], frozenset[str], frozenset[str]]:
    """Check the extensions; return findings and the known category and use keys."""
    findings: list[Finding] = []
    known: dict[str, frozenset[str]] = {}
    for section in ("data_categories", "data_uses"):
        entries: tuple[TaxonomyEntry, ...] = getattr(policy.taxonomy, section)
        keys = set(default_taxonomy_keys()[section])
        for index, entry in enumerate(entries):
            path: DataPath = ("taxonomy", section, index)
            if entry.key in keys:
                findings.append(Finding((*path, "key"), f"{entry.key!r} is already declared"))
                continue
            if entry.parent not in keys:
                message = f"parent {entry.parent!r} is not a known {section[:-3]}y key"
                findings.append(Finding((*path, "parent"), message.replace("yy", "y")))
            elif not entry.key.startswith(entry.parent + "."):
                message = f"{entry.key!r} must extend its parent as {entry.parent}.<name>"
                findings.append(Finding((*path, "key"), message))
            keys.add(entry.key)
        known[section] = frozenset(keys)
    return findings, known["data_categories"], known["data_uses"]


def _walk(value: Any, path: DataPath) -> Iterator[tuple[DataPath, str, Any]]:
    """Yield (path, field name, value) for every field of every model inside ``value``."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            yield (*path, name), name, child
            yield from _walk(child, (*path, name))
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def _keys_at(path: DataPath, name: str, value: Any) -> Iterator[tuple[DataPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, index), item
            elif isinstance(item, BaseModel) and hasattr(item, "category"):
                yield (*path, index, "category"), item.category


USE_FIELDS = frozenset({"uses", "use", "purpose", "choices"})


def vocabulary_findings(
    policy: Policy, categories: frozenset[str], uses: frozenset[str]
) -> Iterator[Finding]:
    """Unknown categories, undeclared uses and texts missing or adding a language."""
    declared_uses = {use.key for use in policy.uses}
    languages = set(policy.controller.languages)
    for path, name, value in _walk(policy, ()):
        if path[:1] == ("taxonomy",):
            continue
        if isinstance(value, dict):
            yield from _language_findings(path, value, languages)
        elif name == "categories":
            for where, key in _keys_at(path, name, value):
                if key not in categories:
                    yield Finding(where, f"unknown data category {key!r}")
        elif name in USE_FIELDS or (name == "key" and path[:1] == ("uses",)):
            for where, key in _keys_at(path, name, value):
                if key not in uses:
                    yield Finding(where, f"unknown data use {key!r} (not in fideslang)")
                elif key not in declared_uses:
                    yield Finding(where, f"use {key!r} is not declared in uses")


def _language_findings(
    path: DataPath, text: dict[str, str], languages: set[str]
) -> Iterator[Finding]:
    for lang in sorted(languages - set(text)):
        yield Finding(path, f"missing text in language {lang!r}")
    for lang in sorted(set(text) - languages):
        yield Finding((*path, lang), f"language {lang!r} is not in controller.languages")


def _duplicates(items: Iterable[tuple[DataPath, str]], what: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for path, key in items:
        if key in seen:
            yield Finding(path, f"duplicate {what} {key!r}")
        seen.add(key)


def uniqueness_findings(policy: Policy) -> Iterator[Finding]:
    """Keys that must be unique within their section."""
    rec = policy.recipients
    sections: list[tuple[str, str, str, Iterable[str]]] = [
        ("property", "properties", "key", (p.key for p in policy.properties)),
        ("form id", "collection_points", "id", (p.id for p in policy.collection_points)),
        ("use", "uses", "key", (u.key for u in policy.uses)),
        ("cookie", "cookies", "name", (c.name for c in policy.cookies)),
        ("mail kind", "mail_kinds", "key", (m.key for m in policy.mail_kinds)),
        ("security measure", "security_measures", "key", (s.key for s in policy.security_measures)),
    ]
    for what, label, field_name, keys in sections:
        yield from _duplicates((((label, i, field_name), key) for i, key in enumerate(keys)), what)
    recipients: list[tuple[DataPath, str]] = [
        (("recipients", "staff", i, "role"), s.role) for i, s in enumerate(rec.staff)
    ]
    for group in ("processors", "outside_parties", "partners"):
        items = getattr(rec, group)
        recipients += [(("recipients", group, i, "key"), item.key) for i, item in enumerate(items)]
    yield from _duplicates(recipients, "recipient")


def link_findings(policy: Policy) -> Iterator[Finding]:
    """Properties, outside parties and cookie recipients named must be declared."""
    props = {p.key for p in policy.properties}
    for i, point in enumerate(policy.collection_points):
        if point.property not in props:
            yield Finding(
                ("collection_points", i, "property"), _undeclared("property", point.property)
            )
        if point.outside_party is not None and policy.outside_party(point.outside_party) is None:
            message = _undeclared("outside party", point.outside_party)
            yield Finding(("collection_points", i, "outside_party"), message)
    if policy.portal is not None and policy.portal.property not in props:
        yield Finding(("portal", "property"), _undeclared("property", policy.portal.property))
    for i, key in enumerate(policy.external_links.covered_properties):
        if key not in props:
            yield Finding(("external_links", "covered_properties", i), _undeclared("property", key))
    others = {*policy.recipient_keys()} - {s.role for s in policy.recipients.staff}
    for i, cookie in enumerate(policy.cookies):
        path: DataPath = ("cookies", i, "recipient")
        if cookie.party == "third" and cookie.recipient is None:
            yield Finding(path, "a third-party cookie must name its recipient")
        elif cookie.party == "first" and cookie.recipient is not None:
            yield Finding(path, "a first-party cookie has no outside recipient")
        elif cookie.recipient is not None and cookie.recipient not in others:
            yield Finding(path, _undeclared("recipient", cookie.recipient))


def _undeclared(what: str, key: str) -> str:
    return f"{what} {key!r} is not declared"


def need_findings(policy: Policy) -> Iterator[Finding]:
    """A recipient may only receive categories one of its uses needs (a use that needs a
    category needs every category below it, as the gate reads it)."""
    rec = policy.recipients
    groups: list[tuple[str, tuple[Any, ...]]] = [
        ("staff", rec.staff),
        ("processors", rec.processors),
        ("outside_parties", rec.outside_parties),
    ]
    for group, items in groups:
        for i, item in enumerate(items):
            needed = _needed(policy, item.uses)
            for j, category in enumerate(item.categories):
                if not category_covered(category, needed):
                    message = f"receives {category!r} but none of its uses needs it"
                    yield Finding(("recipients", group, i, "categories", j), message)


def _needed(policy: Policy, use_keys: Iterable[str]) -> set[str]:
    needed: set[str] = set()
    for key in use_keys:
        use = policy.use_by_key(key)
        if use is not None:
            needed.update(use.categories)
    return needed


FINANCIAL = "user.financial"


def renewal_findings(policy: Policy) -> Iterator[Finding]:
    """Automatic renewal charges a stored card: its use must be a declared opt-in use whose
    card data goes to a declared processor (the gate then asks for the customer's opt-in)."""
    renewals = policy.renewals
    if renewals is None or renewals.automatic_use is None:
        return
    path = ("renewals", "automatic_use")
    use = policy.use_by_key(renewals.automatic_use)
    if use is None:
        yield Finding(path, _undeclared("use", renewals.automatic_use))
        return
    if use.choice != "opt-in":
        yield Finding(
            path, f"automatic renewal needs the customer's opt-in: {use.key!r} is {use.choice}"
        )
    if not any(c == FINANCIAL or c.startswith(FINANCIAL + ".") for c in use.categories):
        yield Finding(path, f"{use.key!r} must declare the card data it charges")
    if not any(use.key in p.uses for p in policy.recipients.processors):
        yield Finding(path, f"no processor is declared for {use.key!r}: who would charge the card?")


def rights_findings(policy: Policy) -> Iterator[Finding]:
    """The rights section names declared uses: a restricted subject's remaining uses, the
    legitimate-interest uses one may object to, and the use kept data is restricted to."""
    rights = policy.rights
    if rights is None:
        return
    for index, key in enumerate(rights.restriction_permits):
        if policy.use_by_key(key) is None:
            yield Finding(("rights", "restriction_permits", index), _undeclared("use", key))
    for index, key in enumerate(rights.objection_uses):
        use = policy.use_by_key(key)
        path: DataPath = ("rights", "objection_uses", index)
        if use is None:
            yield Finding(path, _undeclared("use", key))
        elif use.legal_basis != "legitimate_interests":
            yield Finding(
                path,
                f"an objection (Art. 21) covers uses based on legitimate interests; {key!r} "
                f"is based on {use.legal_basis}",
            )
        elif use.choice == "none":
            # the gate stops it for the objector, but what serves everyone without asking
            # the gate (the session, the audit log) goes on; versions published before this
            # check still load (a warning there)
            yield Finding(
                path,
                f"{key!r} is needed for the service (choice: none), so an objection could not "
                "stop all of it; list only uses the service can run without",
                stored_severity="warning",
            )
    for index, kept in enumerate(rights.kept_after_erasure):
        if policy.use_by_key(kept.use) is None:
            yield Finding(
                ("rights", "kept_after_erasure", index, "use"), _undeclared("use", kept.use)
            )
        if kept.store in NEVER_KEPT:
            yield Finding(("rights", "kept_after_erasure", index, "store"), NEVER_KEPT[kept.store])
    if "portability" in rights.granted and "access" not in rights.granted:
        yield Finding(("rights", "granted"), "portability is given through the access download")


# Stores an erasure always handles the same way, whatever the policy says: a receipt saying
# they are kept would not be true.
NEVER_KEPT = {
    "account": "the account is always closed by an erasure (its name, addresses and password "
    "go; the customer number stays for the logs): it cannot be kept",
    "consent": "the consent ledger keeps only the customer number, which is what stays after "
    "an erasure anyway: it cannot be listed as kept",
}


def reference_findings(policy: Policy) -> list[Finding]:
    """Every cross-reference problem of ``policy``."""
    findings, categories, uses = taxonomy_findings(policy)
    findings += vocabulary_findings(policy, categories, uses)
    findings += uniqueness_findings(policy)
    findings += link_findings(policy)
    findings += need_findings(policy)
    findings += renewal_findings(policy)
    findings += rights_findings(policy)
    return findings
