"""The privacy policy as data: schema, loader, validation (floor 1: no Django).

from keepfaith.policy import load_policy, check_policy
policy = load_policy("examples/qualityssl/policy.yaml")   # or PolicyError
report = check_policy(path)                               # never raises

The names below are imported when first used (PEP 562), so importing a light submodule
(``keepfaith.policy.trace`` for ``@enforces``) does not load pydantic, fideslang and the YAML
reader: a command that never reads a policy starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keepfaith.policy.jurisdiction import JurisdictionRules, jurisdiction_rules
    from keepfaith.policy.loader import check_policy, load_policy, load_policy_text, policy_report
    from keepfaith.policy.problems import PolicyError, Problem, Report
    from keepfaith.policy.schema import Policy

_WHERE = {
    "JurisdictionRules": "jurisdiction",
    "jurisdiction_rules": "jurisdiction",
    "check_policy": "loader",
    "load_policy": "loader",
    "load_policy_text": "loader",
    "policy_report": "loader",
    "PolicyError": "problems",
    "Problem": "problems",
    "Report": "problems",
    "Policy": "schema",
}

__all__ = [
    "JurisdictionRules",
    "Policy",
    "PolicyError",
    "Problem",
    "Report",
    "check_policy",
    "jurisdiction_rules",
    "load_policy",
    "load_policy_text",
    "policy_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'keepfaith.policy' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"keepfaith.policy.{module}"), name)
    globals()[name] = value
    return value
