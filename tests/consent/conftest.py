"""Fixtures for the consent ledger: the example policy, published."""

from __future__ import annotations

from typing import Any

import pytest

from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import policy_publish_file
from tests.consent.helpers import BE_PATH


@pytest.fixture
def published(db: Any) -> PolicyVersion:
    return policy_publish_file(path=BE_PATH)[0]
