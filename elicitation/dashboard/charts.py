"""Charts as SVG rendered on the server: no JavaScript library, no CDN, readable without scripts.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>``; the page shows the same
numbers in a data table next to it for screen readers. Every label is XML-escaped here, so study
text (any script, any markup) can never become markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from aggregation.numbers import number_text
from elicitation.dashboard.chart_layout import (
    LEGEND_ROW_HEIGHT,
    Box,
    legend_positions,
    legend_rows,
    nice_ticks,
    place_labels,
    side_by_side,
    text_width,
    wrap_label,
)

# Verdict colours chosen to stay distinguishable for the common colour-vision deficiencies
# (Okabe–Ito palette) and each point also carries a shape, so colour is never the only cue.
VERDICT_STYLE = {
    "promising": ("#009E73", "circle"),
    "safeguards": ("#E69F00", "diamond"),
    "avoid": ("#D55E00", "square"),
    "no_consensus_yet": ("#56606B", "triangle"),
}
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#7F6000")
# Each line also gets its own dash pattern, so series stay apart without colour (and in greyscale print).
SERIES_DASHES = ("", "8 4", "2 3", "8 3 2 3", "12 4", "4 4", "1 2", "12 3 3 3")
# A white outline under each point label keeps it legible where it crosses whiskers, arrows or grid lines.
LABEL_HALO = ' fill="#1b1f24" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'


@dataclass(frozen=True)
class MapPoint:
    """One area on the benefit × risk plane: medians with interquartile whiskers."""

    label: str
    benefit: float
    risk: float
    benefit_q1: float
    benefit_q3: float
    risk_q1: float
    risk_q3: float
    verdict: str


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a label and one value per x position (None where missing)."""

    label: str
    values: Sequence[float | None]


def _num(value: float) -> str:
    return number_text(value, 1, localise=False)


def _line(x1: float, y1: float, x2: float, y2: float, extra: str = "") -> str:
    return f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}"{extra}/>'


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _polygon(points: Sequence[tuple[float, float]], colour: str) -> str:
    joined = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    return f'<polygon points="{joined}" fill="{colour}"/>'


def _marker(shape: str, x: float, y: float, colour: str, r: float = 6) -> str:
    if shape == "square":
        size = _num(2 * r)
        return f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{size}" height="{size}" fill="{colour}"/>'
    if shape == "diamond":
        return _polygon([(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)], colour)
    if shape == "triangle":
        return _polygon([(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)], colour)
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{colour}"/>'


class _Frame:
    """Maps scale values to pixels inside a plot area with margins."""

    def __init__(self, *, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = 56, 16, 16, 48
        self.x_range, self.y_range = x_range, y_range

    def x(self, value: float) -> float:
        low, high = self.x_range
        span = (high - low) or 1
        return self.left + (value - low) / span * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        low, high = self.y_range
        span = (high - low) or 1
        return self.height - self.bottom - (value - low) / span * (self.height - self.top - self.bottom)


def _open_svg(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-family="sans-serif" font-size="12">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _axes(
    frame: _Frame, *, x_ticks: Sequence[float], y_ticks: Sequence[float], x_label: str, y_label: str
) -> list[str]:
    x0, x1 = frame.x(frame.x_range[0]), frame.x(frame.x_range[1])
    y0, y1 = frame.y(frame.y_range[0]), frame.y(frame.y_range[1])
    parts = ['<g stroke="#c9d0d8" stroke-width="1">']
    parts += [_line(x0, frame.y(tick), x1, frame.y(tick)) for tick in y_ticks]
    parts.append('</g><g stroke="#1b1f24" stroke-width="1">')
    parts += [_line(x0, y0, x1, y0), _line(x0, y0, x0, y1), '</g><g fill="#1b1f24">']
    parts += [_text(frame.x(tick), y0 + 16, _num(tick), anchor="middle") for tick in x_ticks]
    parts += [_text(x0 - 8, frame.y(tick) + 4, _num(tick), anchor="end") for tick in y_ticks]
    parts.append(_text((x0 + x1) / 2, frame.height - 8, x_label, anchor="middle", extra=' font-weight="600"'))
    parts.append(
        f'<text transform="translate(14 {_num((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" '
        f'font-weight="600">{escape(y_label)}</text>'
    )
    parts.append("</g>")
    return parts


def benefit_risk_map(
    points: Sequence[MapPoint],
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    scale: tuple[int, int] = (1, 9),
    benefit_threshold: float = 7,
    risk_thresholds: Sequence[float] = (3, 7),
    previous: Mapping[str, tuple[float, float]] | None = None,
    width: int = 640,
    height: int = 480,
) -> str:
    """One point per area at (median benefit, median of its highest risk), whiskers for the IQRs.

    Dashed lines mark the verdict thresholds, so the quadrants read directly off the chart.
    ``previous`` maps a point's label to its (benefit, risk) in the previous round: a faint hollow
    ring marks where it was and an arrow shows where it moved (nothing when it did not move).
    """
    frame = _Frame(width=width, height=height, x_range=scale, y_range=scale)
    ticks = list(range(scale[0], scale[1] + 1))
    parts = _open_svg(chart_id, width, height, title, desc)
    parts += _axes(frame, x_ticks=ticks, y_ticks=ticks, x_label=x_label, y_label=y_label)
    parts.append('<g stroke="#56606B" stroke-dasharray="4 4" stroke-width="1.5">')
    bx = frame.x(benefit_threshold)
    parts.append(_line(bx, frame.y(scale[0]), bx, frame.y(scale[1])))
    for threshold in risk_thresholds:
        ry = frame.y(threshold)
        parts.append(_line(frame.x(scale[0]), ry, frame.x(scale[1]), ry))
    parts.append("</g>")
    if previous:
        parts += _movements(frame, points, previous, chart_id)
    spots = [(frame.x(point.benefit), frame.y(point.risk), point.label) for point in points]
    markers = [Box(x - 7, y - 7, x + 7, y + 7) for x, y, _label in spots]
    bounds = Box(frame.left, frame.top - 8, width - 4, frame.y(scale[0]))
    labels = place_labels(spots, bounds=bounds, avoid=markers)
    keyed = [index for index, spot in enumerate(labels) if spot is None]
    numbers = _key_numbers(spots, keyed, bounds=bounds, avoid=markers + [s.box for s in labels if s is not None])
    for index, point in enumerate(points):
        colour, shape = VERDICT_STYLE.get(point.verdict, VERDICT_STYLE["no_consensus_yet"])
        x, y = frame.x(point.benefit), frame.y(point.risk)
        parts.append(f'<g class="point" data-verdict="{escape(point.verdict)}">')
        parts.append(f"<title>{escape(point.label)}</title>")
        whisker = f' stroke="{colour}" stroke-width="2"'
        parts.append(_line(frame.x(point.benefit_q1), y, frame.x(point.benefit_q3), y, whisker))
        parts.append(_line(x, frame.y(point.risk_q1), x, frame.y(point.risk_q3), whisker))
        parts.append(_marker(shape, x, y, colour))
        spot = labels[index]
        if spot is not None:
            parts.append(_text(spot.x, spot.y, point.label, anchor=spot.anchor, extra=LABEL_HALO))
        elif index in numbers:  # no free spot beside the point: its number here, its label in the key
            number = numbers[index]
            parts.append(_text(number.x, number.y, number.text, anchor=number.anchor, extra=LABEL_HALO + " " + BOLD))
        parts.append("</g>")
    parts += _map_key([points[index].label for index in keyed], top=height + 4, left=frame.left)
    parts.append("</svg>")
    svg = "".join(parts)
    if keyed:  # the key adds rows under the plot
        grown = height + 8 + len(keyed) * LEGEND_ROW_HEIGHT
        svg = svg.replace(f'viewBox="0 0 {width} {height}"', f'viewBox="0 0 {width} {grown}"', 1)
        svg = svg.replace(f'<rect width="{width}" height="{height}"', f'<rect width="{width}" height="{grown}"', 1)
    return svg


BOLD = 'font-weight="700"'


@dataclass(frozen=True)
class _KeyNumber:
    text: str
    x: float
    y: float
    anchor: str


def _key_numbers(
    spots: Sequence[tuple[float, float, str]], keyed: Sequence[int], *, bounds: Box, avoid: Sequence[Box]
) -> dict[int, _KeyNumber]:
    """The numbers of the points named in the key; points on top of each other share one ("1, 2")."""
    clusters: list[list[int]] = []
    for index in keyed:
        x, y, _label = spots[index]
        near = next((c for c in clusters if abs(spots[c[0]][0] - x) < 10 and abs(spots[c[0]][1] - y) < 10), None)
        if near is None:
            clusters.append([index])
        else:
            near.append(index)
    texts = [", ".join(str(keyed.index(i) + 1) for i in cluster) for cluster in clusters]
    places = place_labels(
        [(*spots[c[0]][:2], text) for c, text in zip(clusters, texts, strict=True)], bounds=bounds, avoid=avoid
    )
    numbers = {}
    for cluster, text, place in zip(clusters, texts, places, strict=True):
        x, y, _label = spots[cluster[0]]
        numbers[cluster[0]] = (
            _KeyNumber(text, place.x, place.y, place.anchor) if place else _KeyNumber(text, x + 9, y - 8, "start")
        )
    return numbers


def _map_key(labels: Sequence[str], *, top: float, left: float) -> list[str]:
    """The labels that found no free spot beside their point, numbered as on the chart."""
    if not labels:
        return []
    parts = ['<g class="map-key" fill="#1b1f24">']
    for number, label in enumerate(labels, start=1):
        parts.append(_text(left, top + number * LEGEND_ROW_HEIGHT, f"{number} {label}"))
    parts.append("</g>")
    return parts


def _movements(
    frame: _Frame, points: Sequence[MapPoint], previous: Mapping[str, tuple[float, float]], chart_id: str
) -> list[str]:
    """Faint rings at last round's positions and arrows to this round's, drawn under the points."""
    arrow_id = f"{chart_id}-arrow"
    parts = [
        f'<defs><marker id="{escape(arrow_id)}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#56606B"/></marker></defs>'
    ]
    for point in points:
        before = previous.get(point.label)
        if before is None:
            continue
        x0, y0 = frame.x(before[0]), frame.y(before[1])
        x1, y1 = frame.x(point.benefit), frame.y(point.risk)
        parts.append(f'<g class="movement" data-label="{escape(point.label)}">')
        parts.append(f'<circle cx="{_num(x0)}" cy="{_num(y0)}" r="6" fill="none" stroke="#8a939c" stroke-width="1.5"/>')
        distance = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        if distance > 12:  # shorten the arrow so its head stops at the marker's edge, not under it
            shrink = 9 / distance
            tip_x, tip_y = x1 - (x1 - x0) * shrink, y1 - (y1 - y0) * shrink
            parts.append(
                _line(
                    x0, y0, tip_x, tip_y, f' stroke="#56606B" stroke-width="1.5" marker-end="url(#{escape(arrow_id)})"'
                )
            )
        parts.append("</g>")
    return parts


def _legend(series: Sequence[Series], *, top: float, left: float, width: int) -> list[str]:
    """Line samples with their labels, in rows under the plot."""
    positions = legend_positions([line.label for line in series], left=left, width=width)
    parts = ['<g class="legend" fill="#1b1f24">']
    for number, (line, (x, row)) in enumerate(zip(series, positions, strict=True)):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[number % len(SERIES_DASHES)]
        y = top + row * LEGEND_ROW_HEIGHT
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(_line(x, y - 4, x + 24, y - 4, f' stroke="{colour}" stroke-width="2"{dash_attr}'))
        parts.append(_text(x + 30, y, line.label))  # whole: the legend makes room, never cuts
    parts.append("</g>")
    return parts


def legend_height(labels: Sequence[str], *, width: int = 640, left: int = 56) -> int:
    rows = legend_rows(labels, left=left, width=width)
    return 8 + rows * LEGEND_ROW_HEIGHT if rows else 0


def line_chart(
    series: Sequence[Series],
    *,
    x_labels: Sequence[str],
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 320,
) -> str:
    """Lines across rounds (e.g. the IQR or Cns of each item); gaps where an item was not asked."""
    values = [v for s in series for v in s.values if v is not None]
    if y_range is None:
        low = min(values, default=0.0)
        high = max(values, default=1.0)
        y_range = (min(0.0, low), high if high > low else low + 1)
    count = max(len(x_labels), 1)
    y_ticks = nice_ticks(*y_range)  # round numbers: the axis runs from the first tick to the last
    y_range = (y_ticks[0], y_ticks[-1])
    frame = _Frame(width=width, height=height, x_range=(0, max(count - 1, 1)), y_range=y_range)
    # The legend sits under the plot, so the plot's coordinates do not depend on how many lines there are.
    labels = [line.label for line in series]
    parts = _open_svg(chart_id, width, height + legend_height(labels, width=width), title, desc)
    parts += _axes(frame, x_ticks=[], y_ticks=y_ticks, x_label=x_label, y_label=y_label)
    if series:
        parts += _legend(series, top=height + 12, left=frame.left, width=width)
    parts.append('<g fill="#1b1f24">')
    for index, label in enumerate(x_labels):
        # The first and last labels hug the plot's edges so they are never cut off.
        anchor = "middle"
        if len(x_labels) > 1 and index == 0:
            anchor = "start"
        elif len(x_labels) > 1 and index == len(x_labels) - 1:
            anchor = "end"
        parts.append(_text(frame.x(index), frame.y(y_range[0]) + 16, label, anchor=anchor))
    parts.append("</g>")
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[number % len(SERIES_DASHES)]
        polyline = '<polyline fill="none" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")
        parts.append(f'<g class="series" stroke="{colour}" fill="{colour}"><title>{escape(line.label)}</title>')
        segment: list[str] = []
        for index, value in enumerate(line.values):
            if value is None:
                if len(segment) > 1:
                    parts.append(f'{polyline} points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = frame.x(index), frame.y(value)
            segment.append(f"{_num(x)},{_num(y)}")
            parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3"/>')
        if len(segment) > 1:
            parts.append(f'{polyline} points="{" ".join(segment)}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class DotRow:
    """One item of a dot plot: its label and one value per group (groups without a value are left out)."""

    label: str
    values: Mapping[str, float]


GROUP_SHAPES = ("circle", "square", "diamond", "triangle")
DOT_ROW_HEIGHT = 28
DOT_LINE_HEIGHT = 14


def group_dots(
    rows: Sequence[DotRow],
    *,
    groups: Sequence[str],
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    scale: tuple[int, int] = (1, 9),
    width: int = 640,
    label_width: int = 200,
) -> str:
    """Each item on its own line with every group's median as a marker and a bar over the gap between them.

    Groups differ by colour *and* shape; the legend under the plot names them.
    """
    # Row labels wrap onto as many lines as they need, never cut: two items of one area differ at the end.
    label_lines = [wrap_label(row.label, label_width - 12) for row in rows]
    row_heights = [max(DOT_ROW_HEIGHT, len(lines) * DOT_LINE_HEIGHT + 12) for lines in label_lines]
    plot_height = sum(row_heights) or DOT_ROW_HEIGHT
    top, axis_gap = 8, 44
    height = top + plot_height + axis_gap + legend_height(groups, width=width, left=label_width)
    left, right = label_width, width - 16

    def x(value: float) -> float:
        return left + (value - scale[0]) / ((scale[1] - scale[0]) or 1) * (right - left)

    parts = _open_svg(chart_id, width, height, title, desc)
    axis_y = top + plot_height
    parts.append('<g stroke="#c9d0d8" stroke-width="1">')
    parts += [_line(x(tick), top, x(tick), axis_y) for tick in range(scale[0], scale[1] + 1)]
    parts.append('</g><g fill="#1b1f24">')
    parts.append(_line(left, axis_y, right, axis_y, ' stroke="#1b1f24"'))
    parts += [_text(x(tick), axis_y + 16, str(tick), anchor="middle") for tick in range(scale[0], scale[1] + 1)]
    parts.append(_text((left + right) / 2, axis_y + 36, x_label, anchor="middle", extra=' font-weight="600"'))
    parts.append("</g>")
    style = {
        name: (SERIES_COLOURS[i % len(SERIES_COLOURS)], GROUP_SHAPES[i % len(GROUP_SHAPES)])
        for i, name in enumerate(groups)
    }
    row_top: float = top
    for row, lines, row_height in zip(rows, label_lines, row_heights, strict=True):
        y = row_top + row_height / 2
        row_top += row_height
        parts.append(f'<g class="dot-row"><title>{escape(row.label)}</title>')
        first = y + 4 - (len(lines) - 1) * DOT_LINE_HEIGHT / 2
        parts += [
            _text(label_width - 8, first + i * DOT_LINE_HEIGHT, line, anchor="end", extra=' fill="#1b1f24"')
            for i, line in enumerate(lines)
        ]
        shown = [(name, value) for name, value in row.values.items() if name in style]
        if len(shown) > 1:
            low, high = min(v for _, v in shown), max(v for _, v in shown)
            parts.append(_line(x(low), y, x(high), y, ' stroke="#8a939c" stroke-width="4" stroke-linecap="round"'))
        # Groups with the same (or nearly the same) median are fanned out around the line, not hidden.
        offsets = side_by_side([v for _, v in shown], pixels=[x(v) for _, v in shown], apart=10, step=8)
        for (name, value), offset in zip(shown, offsets, strict=True):
            colour, shape = style[name]
            parts.append(f'<g class="dot" data-group="{escape(name)}">')
            parts.append(f"<title>{escape(name)}: {_num(value)}</title>")
            parts.append(_marker(shape, x(value), y + offset, colour, r=4 if len(shown) > 3 else 5))
            parts.append("</g>")
        parts.append("</g>")
    positions = legend_positions(groups, left=label_width, width=width)
    parts.append('<g class="legend" fill="#1b1f24">')
    for name, (lx, legend_row) in zip(groups, positions, strict=True):
        colour, shape = style[name]
        ly = axis_y + axis_gap + 12 + legend_row * LEGEND_ROW_HEIGHT
        parts.append(_marker(shape, lx + 6, ly - 4, colour, r=5))
        parts.append(_text(lx + 18, ly, name))
    parts.append("</g></svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its value and the group it is drawn in (e.g. the round)."""

    group: str
    label: str
    value: float
    text: str = ""  # what is written at the bar's end; the value when empty


BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int = 640,
    label_width: int = 160,
    maximum: float | None = None,
) -> str:
    """Horizontal bars in groups (one heading per group), each labelled and with its value written out.

    Bars of the same label share a colour across groups, so a stage reads the same in every round;
    the label and number are always written, so colour is never the only cue.
    """
    groups: list[str] = []
    for bar in bars:
        if bar.group not in groups:
            groups.append(bar.group)
    labels: list[str] = []
    for bar in bars:
        if bar.label not in labels:
            labels.append(bar.label)
    top = 8
    height = top + len(groups) * (18 + GROUP_GAP) + len(bars) * (BAR_HEIGHT + BAR_GAP) + 8
    largest = maximum if maximum is not None else max((b.value for b in bars), default=0.0)
    # Leave room after the longest bar for the longest value text, so no text runs off the chart.
    room = max((text_width(b.text or _num(b.value)) for b in bars), default=0.0) + 16
    scale = (width - label_width - max(room, 56)) / largest if largest > 0 else 0.0
    parts = _open_svg(chart_id, width, height, title, desc)
    y: float = top
    for group in groups:
        y += 14
        parts.append(_text(8, y, group, extra=' font-weight="600" fill="#1b1f24"'))
        y += 4 + GROUP_GAP / 2
        for bar in (b for b in bars if b.group == group):
            colour = SERIES_COLOURS[labels.index(bar.label) % len(SERIES_COLOURS)]
            length = max(bar.value * scale, 0.0)
            parts.append(
                f'<g class="bar" data-label="{escape(bar.label)}"><title>{escape(group)}, {escape(bar.label)}: '
                f"{escape(bar.text or _num(bar.value))}</title>"
            )
            parts.append(_text(label_width - 8, y + BAR_HEIGHT - 4, bar.label, anchor="end", extra=' fill="#1b1f24"'))
            parts.append(
                f'<rect x="{label_width}" y="{_num(y)}" width="{_num(length)}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            )
            parts.append(
                _text(
                    label_width + length + 6, y + BAR_HEIGHT - 4, bar.text or _num(bar.value), extra=' fill="#1b1f24"'
                )
            )
            parts.append("</g>")
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP / 2
    parts.append("</svg>")
    return "".join(parts)
