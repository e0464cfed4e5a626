"""A small bar chart as SVG geometry, drawn by the template: no chart framework, no script.

Pure: counts per day in, bars (rectangles with their label and value) out, on a scale with a
round maximum so that the gridline's number reads well. The template draws each bar with a
``<title>`` (its day and count) and the page also gives the numbers as a table, for readers
who cannot see the picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "Chart", "bar_chart", "nice_ceiling"]

WIDTH = 360
HEIGHT = 120
LEFT = 34
"""Room for the scale's numbers."""
BOTTOM = 16
"""Room for the first and last day's labels."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    bars: tuple[Bar, ...]
    top: int
    """The value at the top of the scale (a round number at least the largest bar's)."""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM
    """The y of the baseline."""
    first: str = ""
    last: str = ""
    """The labels of the first and last bars, under the axis."""


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at least ``value`` (1 for 0)."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_chart(points: Sequence[tuple[str, int]]) -> Chart:
    """Bars for ``(label, value)`` points, left to right."""
    top = nice_ceiling(max((v for _, v in points), default=0))
    base = HEIGHT - BOTTOM
    room = base - 4
    slot = (WIDTH - LEFT) / max(len(points), 1)
    gap = min(2.0, slot / 5)
    bars = tuple(
        Bar(
            x=round(LEFT + i * slot + gap / 2, 2),
            y=round(base - room * value / top, 2),
            width=round(slot - gap, 2),
            height=round(room * value / top, 2),
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(points)
    )
    return Chart(
        bars=bars,
        top=top,
        first=points[0][0] if points else "",
        last=points[-1][0] if points else "",
    )
