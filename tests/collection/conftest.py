"""Fixtures: the QS example policy published (``published``, the BE one, is in tests/conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import policy_publish_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BE_PATH = EXAMPLES / "qualityssl" / "policy.yaml"
QS_PATH = EXAMPLES / "qualispace" / "policy.yaml"


@pytest.fixture
def published_qs(db: Any) -> PolicyVersion:
    """The QS policy (United States: pre-ticked opt-out boxes allowed) in force."""
    return policy_publish_file(path=QS_PATH)[0]
