"""An attacker's tools, written apart from the code under test: exact linear algebra over
the rationals on what a release shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from keepfaith.sharing.suppression import Key, Line


def rref_rows(rows: Sequence[Sequence[Fraction]], width: int) -> list[list[Fraction]]:
    """Reduced row echelon form over the rationals."""
    matrix = [list(row) for row in rows]
    lead = 0
    out_rows = 0
    for col in range(width):
        pivot = next((r for r in range(out_rows, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[out_rows], matrix[pivot] = matrix[pivot], matrix[out_rows]
        first = matrix[out_rows][col]
        matrix[out_rows] = [value / first for value in matrix[out_rows]]
        for r in range(len(matrix)):
            if r != out_rows and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [
                    a - factor * b for a, b in zip(matrix[r], matrix[out_rows], strict=True)
                ]
        out_rows += 1
        lead += 1
    return matrix[:out_rows]


def recoverable(equations: Iterable[Mapping[Any, int]], unknown: Sequence[Any]) -> set[Any]:
    """Which unknowns the equations (coefficients by variable; known variables already
    left out) fix exactly: a unit row in the reduced row echelon form."""
    index = {name: i for i, name in enumerate(unknown)}
    rows = []
    for equation in equations:
        row = [Fraction(0)] * len(unknown)
        for name, coefficient in equation.items():
            if name in index:
                row[index[name]] += coefficient
        if any(row):
            rows.append(row)
    found = set()
    for row in rref_rows(rows, len(unknown)):
        nonzero = [i for i, value in enumerate(row) if value != 0]
        if len(nonzero) == 1:
            found.add(unknown[nonzero[0]])
    return found


def line_equations(lines: Iterable[Line], tag: object = None) -> list[dict[Any, int]]:
    """Each line as an equation: members minus total is zero (variables ``(tag, key)``)."""
    out = []
    for line in lines:
        equation: dict[Any, int] = {}
        for key in line.members:
            equation[(tag, key)] = equation.get((tag, key), 0) + 1
        equation[(tag, line.total)] = equation.get((tag, line.total), 0) - 1
        out.append(equation)
    return out


def hidden_of(values: Iterable[tuple[Key, int | None]]) -> list[Key]:
    return [key for key, value in values if value is None]
