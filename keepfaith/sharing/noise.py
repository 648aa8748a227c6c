"""Differential-privacy noise on a partner's counts, with OpenDP (BE-6).

The counts arrive already aggregated (visitor-days per country, customers per product and
country), as a map from key to count whose keys are not known in advance. OpenDP's
``make_laplace_threshold`` adds discrete Laplace noise to each count and drops every key
whose noisy count falls below a threshold, so that a key seen for one unit alone appears
only with probability ``delta``. One unit (a visitor-day, a customer) changes at most
``contribution`` counts by at most one each: the L0, L1 and L-infinity distances
``(contribution, contribution, 1)``. The scale gives ``epsilon`` for that distance; the
threshold is the smallest at or above the partner's ``min_cell_size`` whose delta stays
within the policy's ``delta``. The (epsilon, delta) recorded are OpenDP's own privacy map
of the measurement actually run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keepfaith.policy.trace import enforces

_MAX_THRESHOLD = 1 << 20


@dataclass(frozen=True, slots=True)
class NoisyCounts:
    """Noisy counts (keys under the threshold left out) and the privacy loss spent."""

    counts: dict[str, int]
    epsilon: float
    delta: float
    threshold: int


def _measurement(scale: float, threshold: int) -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    domain = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int))
    metric = dp.l01inf_distance(dp.absolute_distance(T=int))
    return dp.m.make_laplace_threshold(domain, metric, scale=scale, threshold=threshold)


def _loss(scale: float, threshold: int, contribution: int) -> tuple[float, float]:
    epsilon, delta = _measurement(scale, threshold).map((contribution, contribution, 1))
    return float(epsilon), float(delta)


def threshold_for(*, scale: float, contribution: int, delta: float, floor: int) -> int:
    """The smallest threshold >= ``floor`` whose privacy map keeps delta within ``delta``."""
    low, high = max(1, floor), max(1, floor)
    while _loss(scale, high, contribution)[1] > delta:
        low, high = high + 1, high * 2
        if high > _MAX_THRESHOLD:
            raise ValueError(f"no threshold reaches delta {delta} at scale {scale}")
    while low < high:
        middle = (low + high) // 2
        if _loss(scale, middle, contribution)[1] > delta:
            low = middle + 1
        else:
            high = middle
    return high


@enforces("BE-6", features=("sharing.noise-budget",))
def noisy_counts(
    *, counts: Mapping[str, int], epsilon: float, delta: float, contribution: int, floor: int
) -> NoisyCounts:
    """``counts`` with noise for ``epsilon`` per release; keys under the threshold dropped."""
    scale = contribution / epsilon
    threshold = threshold_for(scale=scale, contribution=contribution, delta=delta, floor=floor)
    measurement = _measurement(scale, threshold)
    spent_epsilon, spent_delta = _loss(scale, threshold, contribution)
    released = measurement({key: int(value) for key, value in counts.items() if value > 0})
    return NoisyCounts(
        {str(key): int(value) for key, value in released.items()},
        spent_epsilon,
        spent_delta,
        threshold,
    )
