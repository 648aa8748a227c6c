"""Export the policy as a fideslang manifest, so fides tooling can read what we declare.

``to_fides_manifest(policy)`` writes one ``system`` for the controller (one privacy
declaration per use), one for each processor and one for each outside party that collects
data itself, with ``egress`` flows from the controller to the processors. The file's own
taxonomy keys go in as ``data_category`` and ``data_use`` entries, so the manifest is
self-contained. ``validate_fides_manifest`` loads it with fideslang's own models and
checks that every key it references exists in fideslang's default taxonomy or in the
manifest itself.
"""

from __future__ import annotations

import re
from typing import Any

from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import Taxonomy

from keepfaith.policy.schema import OutsideParty, Policy, Processor, Use, duration_hours, text_in

_LEGAL_BASIS = {
    "consent": "Consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligations",
    "vital_interests": "Vital interests",
    "public_task": "Public interest",
    "legitimate_interests": "Legitimate interests",
}
_NON_KEY = re.compile(r"[^a-z0-9_.-]+")


def fides_key(name: str) -> str:
    """A fideslang key from a name: lower case, runs of other characters as ``_``."""
    return _NON_KEY.sub("_", name.lower()).strip("_") or "system"


def _data_subjects(use: Use) -> list[str]:
    """Fideslang subjects: customers -> customer; visitors -> prospect when the use takes
    more than device data from them, else visitor."""
    subjects: list[str] = []
    if {"customers", "established_customers"} & set(use.audience):
        subjects.append("customer")
    if "visitors" in use.audience:
        device_only = all(c.startswith("user.device") for c in use.categories)
        subjects.append("visitor" if device_only else "prospect")
    return subjects


def _third_parties(policy: Policy, use: Use) -> tuple[list[str], list[str]]:
    """Names of outside recipients for ``use`` and the categories they receive."""
    rec = policy.recipients
    names: list[str] = []
    shared: dict[str, None] = {}
    parties: list[Processor | OutsideParty] = [*rec.processors, *rec.outside_parties]
    for party in parties:
        if use.key in party.uses:
            names.append(text_in(party.name, "en"))
            shared.update(dict.fromkeys(party.categories))
    for partner in rec.partners:
        if use.key in partner.uses:
            cell = (
                f", cells under {partner.min_cell_size} suppressed" if partner.min_cell_size else ""
            )
            names.append(f"{text_in(partner.name, 'en')} (aggregates only{cell})")
    return names, list(shared)


def _declaration(policy: Policy, use: Use, processor_keys: dict[str, str]) -> dict[str, Any]:
    names, shared = _third_parties(policy, use)
    egress = [processor_keys[p.key] for p in policy.recipients.processors if use.key in p.uses]
    declaration: dict[str, Any] = {
        "name": use.name["en"],
        "data_use": use.key,
        "data_categories": list(use.categories),
        "data_subjects": _data_subjects(use),
        "legal_basis_for_processing": _LEGAL_BASIS[use.legal_basis],
        "flexible_legal_basis_for_processing": False,
        "retention_period": use.retention,
        "data_shared_with_third_parties": bool(names),
        "third_parties": "; ".join(names) or None,
        "shared_categories": shared,
    }
    if egress:
        declaration["egress"] = egress
    return declaration


def _cookie_max_age(policy: Policy) -> int | None:
    hours = [duration_hours(c.lifetime) or 0 for c in policy.cookies if c.lifetime != "session"]
    return max(hours) * 3600 if hours else None


def _controller_system(policy: Policy, processor_keys: dict[str, str]) -> dict[str, Any]:
    ctrl = policy.controller
    address = ctrl.postal_address
    sites = ", ".join(f"{p.name} ({p.base_url})" for p in policy.properties)
    system: dict[str, Any] = {
        "fides_key": fides_key(ctrl.legal_name),
        "name": ctrl.trading_names[0] if ctrl.trading_names else ctrl.legal_name,
        "description": f"Customer-facing systems of {ctrl.legal_name}: {sites}.",
        "system_type": "Application",
        "legal_name": ctrl.legal_name,
        "legal_address": (
            f"{address.street}, {address.postal_code} {address.city}, {address.country}"
            if address
            else None
        ),
        "responsibility": ["Controller"],
        "dpo": ctrl.privacy_email,
        "data_security_practices": " ".join(m.description["en"] for m in policy.security_measures)
        or None,
        "uses_cookies": bool(policy.cookies),
        "cookie_max_age_seconds": _cookie_max_age(policy),
        "privacy_declarations": [_declaration(policy, u, processor_keys) for u in policy.uses],
    }
    if processor_keys:
        system["egress"] = [
            {
                "fides_key": processor_keys[p.key],
                "type": "system",
                "data_categories": list(p.categories),
            }
            for p in policy.recipients.processors
        ]
    return system


def _recipient_systems(policy: Policy, processor_keys: dict[str, str]) -> list[dict[str, Any]]:
    controller_key = fides_key(policy.controller.legal_name)
    systems: list[dict[str, Any]] = []
    rec = policy.recipients
    for kind, parties in (("Processor", rec.processors), ("Controller", rec.outside_parties)):
        for party in parties:
            key = processor_keys.get(party.key) or fides_key(f"{controller_key}.{party.key}")
            declarations = []
            for use_key in party.uses:
                use = policy.use_by_key(use_key)
                declarations.append(
                    {
                        "name": use.name["en"] if use else use_key,
                        "data_use": use_key,
                        "data_categories": list(party.categories),
                        "data_subjects": _data_subjects(use) if use else [],
                    }
                )
            system: dict[str, Any] = {
                "fides_key": key,
                "name": text_in(party.name, "en"),
                "description": (
                    party.description if isinstance(party, Processor) else party.notice
                )["en"],
                "system_type": "Service" if kind == "Processor" else "Third Party",
                "responsibility": [kind],
                "privacy_declarations": declarations,
            }
            if kind == "Processor":
                system["ingress"] = [{"fides_key": controller_key, "type": "system"}]
            systems.append(system)
    return systems


def to_fides_manifest(policy: Policy) -> dict[str, Any]:
    """A fideslang manifest (``system``, ``data_category``, ``data_use`` lists) of the
    policy; load it with ``fideslang.models.Taxonomy`` or ``validate_fides_manifest``."""
    controller_key = fides_key(policy.controller.legal_name)
    processor_keys = {
        p.key: fides_key(f"{controller_key}.{p.key}") for p in policy.recipients.processors
    }
    taxonomy = policy.taxonomy
    return {
        "data_category": [
            {
                "fides_key": e.key,
                "parent_key": e.parent,
                "name": text_in(e.name, "en"),
                "description": e.description,
            }
            for e in taxonomy.data_categories
        ],
        "data_use": [
            {
                "fides_key": e.key,
                "parent_key": e.parent,
                "name": text_in(e.name, "en"),
                "description": e.description,
            }
            for e in taxonomy.data_uses
        ],
        "system": [
            _controller_system(policy, processor_keys),
            *_recipient_systems(policy, processor_keys),
        ],
    }


def validate_fides_manifest(manifest: dict[str, Any]) -> Taxonomy:
    """Load ``manifest`` with fideslang's models; ValueError naming every key it references
    that is neither in fideslang's default taxonomy nor declared in the manifest."""
    taxonomy = Taxonomy.model_validate(manifest)
    categories = {c.fides_key for c in (*DEFAULT_TAXONOMY.data_category, *taxonomy.data_category)}
    uses = {u.fides_key for u in (*DEFAULT_TAXONOMY.data_use, *taxonomy.data_use)}
    subjects = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject}
    systems = {s.fides_key for s in taxonomy.system}
    missing: list[str] = []
    parents = [(c.fides_key, c.parent_key) for c in taxonomy.data_category]
    parents += [(u.fides_key, u.parent_key) for u in taxonomy.data_use]
    missing += [f"parent {p} of {key}" for key, p in parents if p not in categories | uses]
    for system in taxonomy.system:
        for decl in system.privacy_declarations:
            missing += [f"data category {c}" for c in decl.data_categories if c not in categories]
            missing += [f"data subject {s}" for s in decl.data_subjects if s not in subjects]
            if decl.data_use not in uses:
                missing.append(f"data use {decl.data_use}")
        flows = [*(system.egress or []), *(system.ingress or [])]
        missing += [f"system {f.fides_key}" for f in flows if f.fides_key not in systems]
    if missing:
        raise ValueError("the manifest references unknown keys: " + ", ".join(sorted(set(missing))))
    return taxonomy


__all__ = ["fides_key", "to_fides_manifest", "validate_fides_manifest"]
