"""Stand-ins named in configurations under test (not used by the product)."""

from __future__ import annotations

from keepfaith.vault.processors import LocalTestProcessor


class ProviderAdapterForDeployChecks(LocalTestProcessor):
    """A payment adapter class other than the local test processor, so `check --deploy` can
    be run on a configuration that names one (the check imports it, never calls it)."""
