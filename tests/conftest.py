"""Shared fixtures: personas and helpers used across the suite."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(id): the test guards a promise of CLAUSES.md")
