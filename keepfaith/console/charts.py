"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, nothing the CSP must allow.

Labels and titles are escaped; numbers are formatted by us. Each chart carries a table
fallback (``<title>`` per mark, and the view shows the figures as a table too).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 220, 32


def _n(value: float) -> str:
    """A figure as the tables show it (grouped in the reader's language)."""
    return number_format(round(value), force_grouping=True)


def _label(text: str, limit: int = 32) -> str:
    """A label that fits left of the bars: cut with an ellipsis (the full text is in the
    mark's title and in the table)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scale(values: Sequence[float]) -> float:
    top = max(values, default=0)
    return top if top > 0 else 1.0


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, width: int = WIDTH) -> SafeString:
    """Horizontal bars, one per (label, value), longest first as given."""
    bar_h, gap = 18, 6
    label_w = 220
    head = 24  # the visible title
    height = head + PAD + len(rows) * (bar_h + gap)
    top = _scale([value for _, value in rows])
    parts = [
        f'<svg class="chart bar" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="6" y="16">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(rows):
        y = head + PAD // 2 + index * (bar_h + gap)
        length = (width - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(_label(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}">'
            f"<title>{escape(label)}: {_n(value)}</title></rect>"
            f'<text x="{label_w + length + 6:.1f}" y="{y + 13}">{_n(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    points: Sequence[tuple[str, float]], *, title: str, width: int = WIDTH, height: int = HEIGHT
) -> SafeString:
    """A line over evenly spaced points (label, value), e.g. requests per day."""
    top = _scale([value for _, value in points])
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD
    step = inner_w / max(len(points) - 1, 1)
    coords = [
        (PAD + i * step, PAD + inner_h - inner_h * value / top)
        for i, (_, value) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg class="chart line" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{PAD}" y1="{PAD + inner_h}" x2="{PAD + inner_w}" '
        f'y2="{PAD + inner_h}"/>',
        f'<text class="chart-title" x="{width - 6}" y="16" text-anchor="end">'
        f"{escape(title)}</text>",
        f'<text x="{PAD}" y="{PAD - 8}">{_n(top)}</text>',
        f'<polyline points="{path}"/>' if points else "",
    ]
    for (label, value), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3">'
            f"<title>{escape(label)}: {_n(value)}</title></circle>"
        )
    if points:
        parts.append(f'<text x="{PAD}" y="{height - 8}">{escape(points[0][0])}</text>')
        parts.append(
            f'<text x="{PAD + inner_w}" y="{height - 8}" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
