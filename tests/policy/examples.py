"""The two example policies, loaded once for the render, diff and fides tests."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

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


def yaml_load(text: str) -> Any:
    """Plain data from YAML text."""
    return YAML(typ="safe", pure=True).load(text)


def yaml_flow_dump(data: Any) -> str:
    """``data`` as YAML in flow style (one big ``{...}``), without any comment."""
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = True
    writer.allow_unicode = True
    stream = io.StringIO()
    writer.dump(data, stream)
    return stream.getvalue()
