"""The bytes of a release file, CSV or JSON: the same figures give the same bytes.

What a file lists: every figure shown, and a withheld figure only where its row and column
are named by some figure shown (so a country or browser seen only in withheld figures is
not named at all: its presence would say that somebody came from there). A total has
``*`` (CSV) or null (JSON) for the dimension it adds up. The file carries no time of
release and no name of a person, so the SHA-256 of a file identifies its content.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from keepfaith.sharing.figures import Figures
from keepfaith.sharing.periods import Period
from keepfaith.sharing.suppression import Key

ALL = "*"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def listed(figures: Figures) -> list[tuple[Key, int | None]]:
    """The figures a file lists (see the module docstring), in reading order."""
    named: list[set[str]] = [set() for _ in figures.dimensions]
    for key, value in figures.values:
        if value is not None:
            for position, part in enumerate(key):
                if part is not None:
                    named[position].add(part)
    return [
        (key, value)
        for key, value in figures.values
        if all(part is None or part in named[i] for i, part in enumerate(key))
    ]


def _header(
    *, partner: str, period: Period, policy_version: str, k: int, figures: Sequence[Figures]
) -> dict[str, Any]:
    noisy = next((f for f in figures if f.epsilon is not None), None)
    return {
        "partner": partner,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "policy_version": policy_version,
        "min_cell_size": k,
        "differential_privacy": None
        if noisy is None
        else {"epsilon": noisy.epsilon, "delta": noisy.delta},
    }


def release_json(
    *, partner: str, period: Period, policy_version: str, k: int, figures: Sequence[Figures]
) -> bytes:
    """The release as one JSON document."""
    document = _header(
        partner=partner, period=period, policy_version=policy_version, k=k, figures=figures
    )
    document["aggregates"] = [
        {
            "aggregate": item.aggregate,
            "measure": item.measure,
            "dimensions": list(item.dimensions),
            "figures": [
                {
                    **dict(zip(item.dimensions, key, strict=True)),
                    "count": value,
                    "withheld": value is None,
                }
                for key, value in listed(item)
            ],
        }
        for item in figures
    ]
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def _cell(text: str) -> str:
    """A value a spreadsheet will not run as a formula (browser names come from visitors)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def release_csv(*, figures: Sequence[Figures]) -> bytes:
    """The release as one tidy CSV table (one row per figure listed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["aggregate", "measure", "dimension_1", "value_1", "dimension_2", "value_2", "count",
         "withheld"]
    )  # fmt: skip
    for item in figures:
        for key, value in listed(item):
            parts: list[str] = []
            for dimension, part in zip(item.dimensions, key, strict=True):
                parts += [dimension, ALL if part is None else _cell(part)]
            parts += [""] * (4 - len(parts))
            count = "" if value is None else str(value)
            withheld = "yes" if value is None else "no"
            writer.writerow([item.aggregate, item.measure, *parts, count, withheld])
    return out.getvalue().encode()
