"""The figures of one aggregate over a release period: counted, then suppressed or noised.

Without noise, each calendar month is suppressed on its own (``suppression.suppress``);
a release of several months adds the months' figures up, keeps every figure withheld in
any month withheld (with the secondary rule run again on the sum). Every figure it shows is
then a sum of figures each month shows, so no subtraction of two releases finds a figure
below the threshold.

With differential privacy, the counts of the whole period get noise (``noise.noisy_counts``),
figures under the threshold are dropped, and the small-cell rule runs on the noisy figures
(post-processing, which costs no privacy).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keepfaith.policy.aggregates import AggregateKind
from keepfaith.policy.schema import DifferentialPrivacy
from keepfaith.sharing.noise import noisy_counts
from keepfaith.sharing.periods import Period, month_end
from keepfaith.sharing.suppression import Key, Table, suppress, table_1d, table_2d

SEPARATOR = "\x1f"  # joins the two values of a 2-D key for the noise map (never in a value)

Counts = Mapping[tuple[str, ...], int]
"""Counts by key, one value per dimension (a 1-tuple for a 1-D aggregate)."""
People = Mapping[Key, int] | None
Source = Callable[[dt.date, dt.date], tuple[Counts, People]]


@dataclass(frozen=True, slots=True)
class Figures:
    """One aggregate as released: each figure's key and value (None: withheld)."""

    aggregate: str
    measure: str
    dimensions: tuple[str, ...]
    values: tuple[tuple[Key, int | None], ...]
    epsilon: float | None = None
    delta: float | None = None

    @property
    def suppressed(self) -> int:
        return sum(1 for _, value in self.values if value is None)

    def shown(self) -> dict[Key, int]:
        """The figures shown, by key."""
        return {key: value for key, value in self.values if value is not None}


def build_table(kind: AggregateKind, counts: Counts, people: People = None) -> Table:
    """The table of ``kind`` for these counts (1-D or 2-D with totals)."""
    if len(kind.dimensions) == 1:
        flat = {key[0]: value for key, value in counts.items()}
        return table_1d(dimension=kind.dimensions[0], counts=flat, people=people)
    first, second = kind.dimensions
    pairs = {(key[0], key[1]): value for key, value in counts.items()}
    return table_2d(dimensions=(first, second), counts=pairs, people=people)


def _released(kind: AggregateKind, table: Table, hidden: frozenset[Key]) -> Figures:
    values = tuple((key, None if key in hidden else table.values[key]) for key in table.order())
    return Figures(kind.key, kind.measure, kind.dimensions, values)


def figures_suppressed(*, kind: AggregateKind, period: Period, k: int, source: Source) -> Figures:
    """The figures of ``period``: each month suppressed, several months summed (see above)."""
    summed: dict[tuple[str, ...], int] = {}
    people: dict[Key, int] = {}
    forced: set[Key] = set()
    for month in period.months():
        counts, month_people = source(month, month_end(month))
        table = build_table(kind, counts, month_people)
        forced |= suppress(table, k=k)
        for key, value in counts.items():
            summed[key] = summed.get(key, 0) + value
        for figure, n in table.people.items():
            people[figure] = max(people.get(figure, 0), n)
    table = build_table(kind, summed, people)
    return _released(kind, table, suppress(table, k=k, forced=forced))


def _flat(key: tuple[str, ...]) -> str:
    return SEPARATOR.join(key)


def _unflat(text: str) -> tuple[str, ...]:
    return tuple(text.split(SEPARATOR))


def figures_noisy(
    *,
    kind: AggregateKind,
    period: Period,
    k: int,
    source: Source,
    dp: DifferentialPrivacy,
    contribution: int,
) -> Figures:
    """The figures of ``period`` with noise for ``dp.epsilon_per_release``, then suppressed."""
    summed: dict[str, int] = {}
    for month in period.months():
        counts, _ = source(month, month_end(month))
        for key, value in counts.items():
            summed[_flat(key)] = summed.get(_flat(key), 0) + value
    noisy = noisy_counts(
        counts=summed,
        epsilon=dp.epsilon_per_release,
        delta=dp.delta,
        contribution=contribution,
        floor=k,
    )
    counts = {_unflat(key): value for key, value in noisy.counts.items()}
    table = build_table(kind, counts)
    released = _released(kind, table, suppress(table, k=k))
    return Figures(
        released.aggregate,
        released.measure,
        released.dimensions,
        released.values,
        noisy.epsilon,
        noisy.delta,
    )
