"""The privacy policy as data: schema, loader, validation (floor 1: no Django).

from keepfaith.policy import load_policy, check_policy
policy = load_policy("examples/qualityssl/policy.yaml")   # or PolicyError
report = check_policy(path)                               # never raises
"""

from keepfaith.policy.jurisdiction import JurisdictionRules, jurisdiction_rules
from keepfaith.policy.loader import check_policy, load_policy, load_policy_text, policy_report
from keepfaith.policy.problems import PolicyError, Problem, Report
from keepfaith.policy.schema import Policy

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
