"""Small-cell suppression with secondary suppression, over tables with totals (BE-6).

A ``Table`` holds every figure a release would show: the cells and their totals (a 1-D
table: each value and the grand total; a 2-D table: the cells, each row's and column's
total, and the grand total). Its ``lines`` say which figures add up to which total; those
sums are all a reader can work with.

``suppress`` decides which figures are withheld, always by the same rule:

1. **primary**: every figure that counts between 1 and ``k - 1`` (its ``people``, a lower
   bound on the persons behind it) is withheld; a zero counts nobody and is shown;
2. **secondary**: a line (a row, a column, the totals) with exactly one withheld figure
   withholds the next smallest figure of that line (non-zero ones first), repeated until
   no line has exactly one;
3. **no exact recovery**: a withheld figure that the published ones still pin down through
   the sums of several lines at once (linear algebra, not a single line) withholds the
   smallest figure of one of its lines, until none is pinned down.

The rule depends on the figures alone, never on the date or on earlier releases, so two
releases of the same data withhold the same figures. Step 3 solves the lines as linear
equations over a prime field: their matrix has one +1/-1 per line and figure and is totally
unimodular (two entries per column, rows split between row and column totals), so its rank
there equals its rank over the rationals. The tests check the result with exact fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from keepfaith.policy.trace import enforces

Key = tuple[str | None, ...]
"""A figure's key: one value per dimension; None stands for "all" (a total)."""

_PRIME = (1 << 61) - 1


@dataclass(frozen=True, slots=True)
class Line:
    """Figures ``members`` add up to the figure ``total``."""

    members: tuple[Key, ...]
    total: Key

    def figures(self) -> tuple[Key, ...]:
        return (*self.members, self.total)


@dataclass(frozen=True, slots=True)
class Table:
    """Every figure of one aggregate (cells and totals), and the lines that tie them."""

    dimensions: tuple[str, ...]
    values: Mapping[Key, int]
    people: Mapping[Key, int]
    lines: tuple[Line, ...]

    def order(self) -> list[Key]:
        """The figures in reading order: cells by key, then the totals."""
        return sorted(self.values, key=key_order)


def key_order(key: Key) -> tuple[tuple[int, str], ...]:
    """Sort key of a figure: values in order, "all" after every value."""
    return tuple((1, "") if part is None else (0, part) for part in key)


def table_1d(
    *, dimension: str, counts: Mapping[str, int], people: Mapping[Key, int] | None = None
) -> Table:
    """A list of values with their grand total (``people`` keyed like the figures)."""
    values: dict[Key, int] = {(value,): count for value, count in counts.items()}
    total: Key = (None,)
    values[total] = sum(counts.values())
    members = tuple(sorted((k for k in values if k != total), key=key_order))
    return Table((dimension,), values, _people(values, people), (Line(members, total),))


def table_2d(
    *,
    dimensions: tuple[str, str],
    counts: Mapping[tuple[str, str], int],
    people: Mapping[Key, int] | None = None,
) -> Table:
    """A cross table (every row value by every column value, zeros included) with the
    total of each row, of each column, and the grand total."""
    rows = sorted({r for r, _ in counts})
    cols = sorted({c for _, c in counts})
    values: dict[Key, int] = {(r, c): counts.get((r, c), 0) for r in rows for c in cols}
    for r in rows:
        values[(r, None)] = sum(values[(r, c)] for c in cols)
    for c in cols:
        values[(None, c)] = sum(values[(r, c)] for r in rows)
    values[(None, None)] = sum(counts.values())
    lines = [Line(tuple((r, c) for c in cols), (r, None)) for r in rows]
    lines += [Line(tuple((r, c) for r in rows), (None, c)) for c in cols]
    lines.append(Line(tuple((r, None) for r in rows), (None, None)))
    lines.append(Line(tuple((None, c) for c in cols), (None, None)))
    return Table(dimensions, values, _people(values, people), tuple(lines))


def _people(values: Mapping[Key, int], given: Mapping[Key, int] | None) -> dict[Key, int]:
    """People behind each figure: as given, never more than the figure (a total of
    distinct customers is below the sum of its cells), else the figure itself."""
    out = dict(values)
    for key, count in (given or {}).items():
        if key in out:
            out[key] = min(count, out[key])
    return out


@enforces("BE-6", features=("sharing.small-figures-withheld",))
def suppress(table: Table, *, k: int, forced: Iterable[Key] = ()) -> frozenset[Key]:
    """The figures to withhold: primary (1 to k-1 people, and ``forced``), then secondary
    until no line has exactly one and no withheld figure can be worked out exactly."""
    hidden = {key for key, n in table.people.items() if 0 < n < k}
    hidden |= {key for key in forced if key in table.values}
    while True:
        _line_rule(table, hidden)
        pinned = first_determined(table, hidden)
        if pinned is None:
            return frozenset(hidden)
        if not _protect(table, hidden, pinned):
            return frozenset(hidden)  # every figure withheld: nothing is pinned down


def _rank(table: Table, key: Key) -> tuple[bool, int, tuple[tuple[int, str], ...]]:
    value = table.values[key]
    return (value == 0, value, key_order(key))


def _line_rule(table: Table, hidden: set[Key]) -> None:
    changed = True
    while changed:
        changed = False
        for line in table.lines:
            keys = line.figures()
            if sum(1 for key in keys if key in hidden) != 1:
                continue
            shown = [key for key in keys if key not in hidden]
            if shown:
                hidden.add(min(shown, key=lambda key: _rank(table, key)))
                changed = True


def _protect(table: Table, hidden: set[Key], pinned: Key) -> bool:
    around = [key for line in table.lines if pinned in line.figures() for key in line.figures()]
    shown = [key for key in around if key not in hidden]
    if not shown:
        shown = [key for key in table.values if key not in hidden]
    if not shown:
        return False
    hidden.add(min(shown, key=lambda key: _rank(table, key)))
    return True


def first_determined(table: Table, hidden: Iterable[Key]) -> Key | None:
    """The first withheld figure that the published figures fix exactly, or None.

    Each line is an equation: members minus total is zero. With the published figures moved
    to the right-hand side, a withheld figure is fixed exactly when its unit vector lies in
    the row space of the withheld columns: in reduced row echelon form, a row with a single
    non-zero entry.
    """
    unknown = sorted(set(hidden), key=key_order)
    if not unknown:
        return None
    index = {key: i for i, key in enumerate(unknown)}
    rows = [_equation(line, index) for line in table.lines]
    for row in _echelon([r for r in rows if any(r)], len(unknown)):
        nonzero = [i for i, value in enumerate(row) if value]
        if len(nonzero) == 1:
            return unknown[nonzero[0]]
    return None


def _equation(line: Line, index: Mapping[Key, int]) -> list[int]:
    row = [0] * len(index)
    for key in line.members:
        if key in index:
            row[index[key]] = (row[index[key]] + 1) % _PRIME
    if line.total in index:
        row[index[line.total]] = (row[index[line.total]] - 1) % _PRIME
    return row


def _echelon(rows: Sequence[list[int]], width: int) -> list[list[int]]:
    """Reduced row echelon form over the prime field."""
    matrix = [list(row) for row in rows]
    pivot_row = 0
    for col in range(width):
        found = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col]), None)
        if found is None:
            continue
        matrix[pivot_row], matrix[found] = matrix[found], matrix[pivot_row]
        inverse = pow(matrix[pivot_row][col], _PRIME - 2, _PRIME)
        matrix[pivot_row] = [value * inverse % _PRIME for value in matrix[pivot_row]]
        for r in range(len(matrix)):
            factor = matrix[r][col]
            if r != pivot_row and factor:
                pivot = matrix[pivot_row]
                matrix[r] = [
                    (a - factor * b) % _PRIME for a, b in zip(matrix[r], pivot, strict=True)
                ]
        pivot_row += 1
        if pivot_row == len(matrix):
            break
    return matrix[:pivot_row]
