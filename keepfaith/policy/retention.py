"""How long data serving several uses is kept: the longest of their retentions."""

from __future__ import annotations

from collections.abc import Iterable

from keepfaith.policy.schema import Policy, duration_hours


def uses_kept_days(*, policy: Policy, uses: Iterable[str]) -> tuple[int, str] | None:
    """(days, use) for the longest retention among ``uses`` in ``policy``: data that serves
    them all is deleted after it. None when a use keeps its data without a fixed period
    (``permanent``, ``while-customer``, ``until-withdrawn``...) or none is declared: nothing
    is deleted by age then."""
    periods: list[tuple[int, str]] = []
    for key in uses:
        use = policy.use_by_key(key)
        if use is None:
            continue
        hours = duration_hours(use.retention)
        if hours is None:
            return None
        periods.append((hours // 24, key))
    return max(periods, key=lambda period: period[0]) if periods else None  # first of equals
