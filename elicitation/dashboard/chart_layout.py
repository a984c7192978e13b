"""Where things go in the dashboard's charts: round tick values, legends that fit their labels,
point labels that never overlap, and markers that would hide each other drawn side by side.

Pure geometry on estimated text widths (``text_width``), so the same input always gives the same chart.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

LEGEND_ROW_HEIGHT = 18
LEGEND_SAMPLE_WIDTH = 30  # the line sample or marker, and the gap to its label
LEGEND_GAP = 16  # between one legend entry and the next


def text_width(text: str, font_size: float = 12) -> float:
    """A generous estimate of a label's width: wide (CJK) characters count double."""
    return sum(font_size * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6) for ch in text)


def wrap_label(text: str, width: float, font_size: float = 12) -> list[str]:
    """``text`` in lines no wider than ``width``, broken between words; a word wider than a line (a long code,
    or CJK text, which has no spaces) is broken between characters. Nothing is dropped: the lines joined
    (with the spaces they were broken at) give ``text`` back."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, font_size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for character in word:
            if line and text_width(line + character, font_size) > width:
                lines.append(line)
                line = ""
            line += character
    lines.append(line)
    return lines


def nice_ticks(low: float, high: float, *, most: int = 6) -> list[float]:
    """Ticks at round numbers (1, 2, 2.5 or 5 times a power of ten) covering ``low`` to ``high``.

    The first tick is at or below ``low`` and the last at or above ``high``: the axis spans the ticks.
    """
    if high <= low:
        high = low + 1
    raw = (high - low) / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    start = math.floor(low / step + 1e-9) * step
    ticks = []
    value = start
    while value < high - 1e-9 * step:
        ticks.append(round(value, 10))
        value += step
    ticks.append(round(value, 10))
    return ticks


def legend_positions(labels: Sequence[str], *, left: float, width: float) -> list[tuple[float, int]]:
    """Each legend entry's x and row: entries flow left to right at their own width, never cut."""
    positions: list[tuple[float, int]] = []
    x, row = left, 0
    for label in labels:
        entry = LEGEND_SAMPLE_WIDTH + text_width(label) + LEGEND_GAP
        if x > left and x + entry > width:
            x, row = left, row + 1
        positions.append((x, row))
        x += entry
    return positions


def legend_rows(labels: Sequence[str], *, left: float, width: float) -> int:
    positions = legend_positions(labels, left=left, width=width)
    return positions[-1][1] + 1 if positions else 0


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )


@dataclass(frozen=True)
class PlacedLabel:
    x: float
    y: float  # the text's baseline
    anchor: str  # "start" or "end"
    box: Box


# Where a label may go around its point (dx, baseline dy, anchor), in order of preference.
LABEL_SPOTS = ((9, -8, "start"), (9, 16, "start"), (-9, -8, "end"), (-9, 16, "end"), (9, 4, "start"), (-9, 4, "end"))
LABEL_HEIGHT = 14


def place_labels(
    points: Sequence[tuple[float, float, str]], *, bounds: Box, avoid: Sequence[Box] = ()
) -> list[PlacedLabel | None]:
    """A spot for each point's label beside it that overlaps no other label or marker and stays inside
    ``bounds``; None where no spot is free (the chart then names that point in its key instead)."""
    taken = list(avoid)
    placed: list[PlacedLabel | None] = []
    for x, y, label in points:
        width = text_width(label)
        spot = None
        for dx, dy, anchor in LABEL_SPOTS:
            left = x + dx if anchor == "start" else x + dx - width
            box = Box(left - 1, y + dy - LABEL_HEIGHT + 3, left + width + 1, y + dy + 4)
            inside = box.left >= bounds.left and box.right <= bounds.right
            inside = inside and box.top >= bounds.top and box.bottom <= bounds.bottom
            if inside and not any(box.overlaps(other) for other in taken):
                spot = PlacedLabel(x=x + dx, y=y + dy, anchor=anchor, box=box)
                taken.append(box)
                break
        placed.append(spot)
    return placed


def side_by_side(values: Sequence[float], *, pixels: Sequence[float], apart: float, step: float) -> list[float]:
    """Vertical offsets for markers on one line: those closer than ``apart`` pixels are fanned out by
    ``step`` around the line, so a group with the same median as another is still seen."""
    offsets = [0.0] * len(values)
    order = sorted(range(len(values)), key=lambda i: pixels[i])
    cluster: list[int] = []
    for index in [*order, None]:
        if index is not None and cluster and pixels[index] - pixels[cluster[-1]] < apart:
            cluster.append(index)
            continue
        for k, member in enumerate(cluster):
            offsets[member] = (k - (len(cluster) - 1) / 2) * step if len(cluster) > 1 else 0.0
        cluster = [index] if index is not None else []
    return offsets
