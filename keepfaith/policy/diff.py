"""What changed between two policy versions, for the update page and re-consent (BE-11).

``policy_diff(old=..., new=...)`` compares the elements a reader cares about, each by its
key: uses, the categories each form collects, recipients, choices, retention, cookies,
mail kinds, forms, sites and the controller's contacts. Each kind lists the items added,
removed and changed (with before and after of each changed field). Clause lists are not
compared: they annotate the promise, they are not part of it.

``diff_to_text`` prints it as ``+``/``-``/``~`` lines (``keepfaith policy diff OLD NEW``),
``diff_to_dict`` gives it to the update page as data.

``PolicyDiff.requires_reconsent`` names the uses the consent ledger must ask about again:
a new use that needs consent (opt-in), an existing use that now needs consent where it
did not (none/opt-out -> opt-in), and an opt-in use that now covers more data categories
or a wider audience than the one people agreed to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from keepfaith.policy.schema import Policy, Use
from keepfaith.policy.trace import enforces

Json = Any
KINDS = (
    "uses",
    "categories",
    "collected",
    "recipients",
    "choices",
    "retention",
    "cookies",
    "mail_kinds",
    "collection_points",
    "properties",
    "controller",
)
"""Every kind of element the diff compares, in the order it reports them."""


@dataclass(frozen=True)
class FieldChange:
    """One field of an item, before and after (JSON values)."""

    field: str
    before: Json
    after: Json


@dataclass(frozen=True)
class ItemAdded:
    """An item that is new (or gone, for ``removed``) with a few facts to show with it."""

    key: str
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ItemChanged:
    """An item present in both versions whose fields differ."""

    key: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class KindDiff:
    """Added, removed and changed items of one kind."""

    kind: str
    added: tuple[ItemAdded, ...] = ()
    removed: tuple[ItemAdded, ...] = ()
    changed: tuple[ItemChanged, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class PolicyDiff:
    """The changes from ``old_version`` to ``new_version``; kinds without changes are left
    out, so an unchanged policy gives an empty diff (falsy)."""

    old_version: str
    new_version: str
    kinds: tuple[KindDiff, ...]
    requires_reconsent: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def kind(self, name: str) -> KindDiff:
        """The changes of kind ``name`` (empty when there are none)."""
        if name not in KINDS:
            raise KeyError(f"unknown kind {name!r}; kinds: {', '.join(KINDS)}")
        return next((k for k in self.kinds if k.kind == name), KindDiff(name))


def _dump(item: Any, exclude: Iterable[str] = ()) -> dict[str, Json]:
    data: dict[str, Json] = item.model_dump(mode="json", exclude={"clauses", *exclude})
    return data


def _compare(
    kind: str,
    old: Mapping[str, dict[str, Json]],
    new: Mapping[str, dict[str, Json]],
    facts_old: Callable[[str], tuple[tuple[str, str], ...]] = lambda _: (),
    facts_new: Callable[[str], tuple[tuple[str, str], ...]] = lambda _: (),
) -> KindDiff:
    """Items keyed alike in both versions: added, removed, and changed field by field."""
    added = tuple(ItemAdded(key, facts_new(key)) for key in new if key not in old)
    removed = tuple(ItemAdded(key, facts_old(key)) for key in old if key not in new)
    changed = []
    for key in old:
        if key in new and old[key] != new[key]:
            fields = sorted(set(old[key]) | set(new[key]))
            changes = tuple(
                FieldChange(name, old[key].get(name), new[key].get(name))
                for name in fields
                if old[key].get(name) != new[key].get(name)
            )
            changed.append(ItemChanged(key, changes))
    return KindDiff(kind, added, removed, tuple(changed))


def _use_facts_of(policy: Policy) -> Callable[[str], tuple[tuple[str, str], ...]]:
    def facts(key: str) -> tuple[tuple[str, str], ...]:
        use = policy.use_by_key(key)
        return () if use is None else (("choice", use.choice), ("retention", use.retention))

    return facts


def _uses(policy: Policy) -> dict[str, dict[str, Json]]:
    """Uses by key; choice and retention changes show under their own kinds."""
    return {use.key: _dump(use, ("key", "choice", "retention")) for use in policy.uses}


def _categories(policy: Policy) -> dict[str, dict[str, Json]]:
    """Every category some use processes, with the uses that process it."""
    found: dict[str, list[str]] = {}
    for use in policy.uses:
        for category in use.categories:
            found.setdefault(category, []).append(use.key)
    return {key: {"uses": sorted(uses)} for key, uses in found.items()}


def _collected(policy: Policy) -> dict[str, dict[str, Json]]:
    """``form/category`` -> whether the form requires it."""
    return {
        f"{point.id}/{item.category}": {"required": item.required}
        for point in policy.collection_points
        for item in point.categories
    }


def _recipients(policy: Policy) -> dict[str, dict[str, Json]]:
    rec = policy.recipients
    items: dict[str, dict[str, Json]] = {}
    items.update({f"staff:{s.role}": _dump(s, ("role",)) for s in rec.staff})
    items.update({f"processor:{p.key}": _dump(p, ("key",)) for p in rec.processors})
    items.update({f"outside_party:{p.key}": _dump(p, ("key",)) for p in rec.outside_parties})
    items.update({f"partner:{p.key}": _dump(p, ("key",)) for p in rec.partners})
    return items


def _choices(policy: Policy) -> dict[str, dict[str, Json]]:
    return {use.key: {"choice": use.choice} for use in policy.uses}


def _retention(policy: Policy) -> dict[str, dict[str, Json]]:
    items = {use.key: {"retention": use.retention} for use in policy.uses}
    if policy.log_files is not None:
        items["log_files.raw_ip"] = {"retention": policy.log_files.raw_ip_retention}
    for kept in policy.rights.kept_after_erasure if policy.rights else ():
        items[f"kept_after_erasure.{kept.store}"] = {"retention": kept.period}
    return items


def _cookies(policy: Policy) -> dict[str, dict[str, Json]]:
    return {cookie.name: _dump(cookie, ("name",)) for cookie in policy.cookies}


def _mail_kinds(policy: Policy) -> dict[str, dict[str, Json]]:
    return {kind.key: _dump(kind, ("key",)) for kind in policy.mail_kinds}


def _points(policy: Policy) -> dict[str, dict[str, Json]]:
    return {p.id: _dump(p, ("id", "categories")) for p in policy.collection_points}


def _properties(policy: Policy) -> dict[str, dict[str, Json]]:
    return {p.key: _dump(p, ("key",)) for p in policy.properties}


def _controller(policy: Policy) -> dict[str, dict[str, Json]]:
    keep = ("legal_name", "trading_names", "postal_address", "privacy_email", "unsubscribe_email")
    data = policy.controller.model_dump(mode="json", include=set(keep))
    return {"controller": data}


def _only_changed(diff: KindDiff) -> KindDiff:
    """Choices and retention are per existing use: new and gone uses show under ``uses``."""
    return KindDiff(diff.kind, changed=diff.changed)


def _reconsent(old: Policy, new: Policy) -> tuple[str, ...]:
    """Uses the ledger must ask about again (see the module docstring)."""
    needed = []
    for use in new.uses:
        if use.choice != "opt-in":
            continue
        before: Use | None = old.use_by_key(use.key)
        widened = not set(use.categories) <= set(before.categories) if before else True
        widened = widened or (before is not None and not set(use.audience) <= set(before.audience))
        if before is None or before.choice != "opt-in" or widened:
            needed.append(use.key)
    return tuple(needed)


@enforces("BE-11")
def policy_diff(old: Policy, new: Policy) -> PolicyDiff:
    """The changes from ``old`` to ``new``, kind by kind, and the uses needing re-consent."""
    kinds = [
        _compare("uses", _uses(old), _uses(new), _use_facts_of(old), _use_facts_of(new)),
        _compare("categories", _categories(old), _categories(new)),
        _compare("collected", _collected(old), _collected(new)),
        _compare("recipients", _recipients(old), _recipients(new)),
        _only_changed(_compare("choices", _choices(old), _choices(new))),
        _only_changed(_compare("retention", _retention(old), _retention(new))),
        _compare("cookies", _cookies(old), _cookies(new)),
        _compare("mail_kinds", _mail_kinds(old), _mail_kinds(new)),
        _compare("collection_points", _points(old), _points(new)),
        _compare("properties", _properties(old), _properties(new)),
        _compare("controller", _controller(old), _controller(new)),
    ]
    return PolicyDiff(
        old_version=old.version,
        new_version=new.version,
        kinds=tuple(kind for kind in kinds if kind),
        requires_reconsent=_reconsent(old, new),
    )


def diff_to_dict(diff: PolicyDiff) -> dict[str, Json]:
    """The diff as JSON-ready data for the update page."""
    return {
        "from": diff.old_version,
        "to": diff.new_version,
        "requires_reconsent": list(diff.requires_reconsent),
        "kinds": {
            kind.kind: {
                "added": [{"key": i.key, "facts": dict(i.facts)} for i in kind.added],
                "removed": [{"key": i.key, "facts": dict(i.facts)} for i in kind.removed],
                "changed": [
                    {
                        "key": item.key,
                        "fields": [
                            {"field": f.field, "before": f.before, "after": f.after}
                            for f in item.fields
                        ],
                    }
                    for item in kind.changed
                ],
            }
            for kind in diff.kinds
        },
    }


# --- text ---------------------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "uses": "use",
        "categories": "data category",
        "collected": "collected",
        "recipients": "recipient",
        "choices": "choice",
        "retention": "retention",
        "cookies": "cookie",
        "mail_kinds": "mail kind",
        "collection_points": "form",
        "properties": "site",
        "controller": "controller",
        "header": "Policy {old} -> {new}",
        "empty": "No changes from {old} to {new}.",
        "needs_consent": "needs consent",
        "reconsent": "Ask for consent again: {uses}",
    },
    "da": {
        "uses": "formål",
        "categories": "datakategori",
        "collected": "indsamlet",
        "recipients": "modtager",
        "choices": "valg",
        "retention": "opbevaring",
        "cookies": "cookie",
        "mail_kinds": "e-mailtype",
        "collection_points": "formular",
        "properties": "websted",
        "controller": "dataansvarlig",
        "header": "Politik {old} -> {new}",
        "empty": "Ingen ændringer fra {old} til {new}.",
        "needs_consent": "kræver samtykke",
        "reconsent": "Bed om samtykke igen: {uses}",
    },
}


def _value(value: Json) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field(change: FieldChange, lang: str) -> str:
    """``field before -> after``; lists as what was added and removed; texts in ``lang``."""
    before, after = change.before, change.after
    if isinstance(before, list) and isinstance(after, list):
        plus = [f"+{_value(v)}" for v in after if v not in before]
        minus = [f"-{_value(v)}" for v in before if v not in after]
        return f"{change.field} {' '.join(plus + minus) or _value(after)}"
    # A name given once for every language that is now given per language, or back.
    if isinstance(before, str) and _is_text(after):
        before = {"en": before}
    elif _is_text(before) and isinstance(after, str):
        after = {"en": after}
    if _is_text(before) and _is_text(after):
        old, new = before.get(lang) or before["en"], after.get(lang) or after["en"]
        if old == new:
            languages = sorted(set(before) ^ set(after)) or sorted(after)
            return f"{change.field} [{', '.join(languages)}]"
        before, after = old, new
    return f"{change.field} {_value(before)} -> {_value(after)}"


def _is_text(value: Json) -> bool:
    return isinstance(value, dict) and "en" in value and all(len(k) == 2 for k in value)


def _item_line(sign: str, label: str, item: ItemAdded, note: str | None) -> str:
    facts = [value for _name, value in item.facts]
    if note:
        facts.append(note)
    suffix = f" ({', '.join(facts)})" if facts else ""
    return f"{sign} {label} {item.key}{suffix}"


def _kind_lines(kind: KindDiff, words: dict[str, str], reconsent: set[str], lang: str) -> list[str]:
    label = words[kind.kind]
    uses_consent = kind.kind in ("uses", "choices")
    lines: list[str] = []
    for item in kind.added:
        note = words["needs_consent"] if uses_consent and item.key in reconsent else None
        lines.append(_item_line("+", label, item, note))
    lines.extend(_item_line("-", label, item, None) for item in kind.removed)
    for changed in kind.changed:
        note = f" ({words['needs_consent']})" if uses_consent and changed.key in reconsent else ""
        fields = "; ".join(_field(change, lang) for change in changed.fields)
        lines.append(f"~ {label} {changed.key}: {fields}{note}")
    return lines


def diff_to_text(diff: PolicyDiff, *, lang: str = "en") -> str:
    """The diff as lines of text in ``lang`` (``en`` or ``da``); one line when empty."""
    if lang not in _LABELS:
        raise ValueError(f"no diff wording for {lang!r}; available: {', '.join(_LABELS)}")
    words = _LABELS[lang]
    versions = {"old": diff.old_version, "new": diff.new_version}
    if not diff:
        return words["empty"].format(**versions) + "\n"
    lines = [words["header"].format(**versions)]
    reconsent = set(diff.requires_reconsent)
    for kind in diff.kinds:
        lines.extend(_kind_lines(kind, words, reconsent, lang))
    if diff.requires_reconsent:
        lines.append(words["reconsent"].format(uses=", ".join(diff.requires_reconsent)))
    return "\n".join(lines) + "\n"


__all__ = [
    "KINDS",
    "FieldChange",
    "ItemAdded",
    "ItemChanged",
    "KindDiff",
    "PolicyDiff",
    "diff_to_dict",
    "diff_to_text",
    "policy_diff",
]
