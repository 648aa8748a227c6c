"""What keepfaith's commands show on a terminal: tables and progress bars (``rich``), and
nothing extra when the output is a pipe or a file (scripts get plain, parseable output).

``rich`` is imported only when something is drawn, so a command starts without it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

Advance = Callable[[int], None]


def shell_time(at: Any, *, seconds: bool = False) -> str:
    """A moment as a person at the shell reads it: the site's local time with its zone
    (``2026-12-06 11:45 CET``), as the console shows it; never UTC unlabelled."""
    from django.utils import timezone

    local = timezone.localtime(at)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def is_terminal(stream: IO[str] | Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress(
    description: str, *, total: int | None, stream: IO[str] | None = None
) -> Iterator[Callable[..., None]]:
    """A progress bar on ``stream`` (stderr) while the block runs, drawn only on a terminal.

    Yields ``update(completed=None, advance=0, total=None, description=None)``.
    """
    out = stream if stream is not None else sys.stderr
    if not is_terminal(out):
        yield lambda **_kwargs: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=out), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def update(**changes: Any) -> None:
            bar.update(task, **{k: v for k, v in changes.items() if v is not None})

        yield update


def print_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    stream: IO[str],
    numeric_from: int = 1,
) -> None:
    """A titled table for people (columns from ``numeric_from`` on right-aligned)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False)
    for index, header in enumerate(headers):
        table.add_column(header, justify="right" if index >= numeric_from else "left")
    for row in rows:
        table.add_row(*(f"{c:,}" if isinstance(c, int) else str(c) for c in row))
    if not rows:
        table.add_row("(none)", *([""] * (len(headers) - 1)))
    Console(file=stream, soft_wrap=False).print(table)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``low`` to ``high``: anything else
    (``-5``, ``1e3``, twenty digits) is a usage error naming the range, not a traceback
    from wherever the number would have gone."""

    def parse(text: str) -> int:
        digits = text.strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        value = int(digits)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not a whole number from {low} to {high}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its message
    return parse


def seconds_between(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type`` for a number of seconds from ``low`` to ``high`` (``-1``,
    ``nan`` or ``inf`` are a usage error, not a traceback from ``time.sleep``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # also false for nan
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from {low:g} to {high:g}"
            )
        return value

    parse.__name__ = "seconds"
    return parse
