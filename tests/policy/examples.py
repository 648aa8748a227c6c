"""The two example policies, loaded once for the render, diff and fides tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from keepfaith.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parents[2]
BE_FILE = ROOT / "examples" / "qualityssl" / "policy.yaml"
QS_FILE = ROOT / "examples" / "qualispace" / "policy.yaml"


@cache
def be_policy() -> Policy:
    """QualitySSL by BitEngines (English and Danish)."""
    return load_policy(BE_FILE)


@cache
def qs_policy() -> Policy:
    """QualiSpace (English only)."""
    return load_policy(QS_FILE)
