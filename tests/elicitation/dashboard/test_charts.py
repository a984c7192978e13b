"""The dashboard's SVG charts: well-formed, labelled for screen readers, escaped, and placed right."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from elicitation.dashboard.chart_layout import wrap_label
from elicitation.dashboard.charts import (
    Bar,
    DotRow,
    MapPoint,
    Series,
    bar_chart,
    benefit_risk_map,
    group_dots,
    line_chart,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> Any:  # Any: the checks below read attributes freely
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed


def _point(label: str = "Verification", verdict: str = "promising", **kw: float) -> MapPoint:
    values = {"benefit": 8, "risk": 2, "benefit_q1": 7, "benefit_q3": 9, "risk_q1": 1, "risk_q3": 3} | kw
    return MapPoint(label=label, verdict=verdict, **values)


def _map(points: list[MapPoint]) -> Any:
    svg = benefit_risk_map(
        points, chart_id="map", title="Benefit and risk", desc="One point per area", x_label="Benefit", y_label="Risk"
    )
    return _parse(svg)


def test_the_map_is_an_image_with_a_title_and_description_for_screen_readers():
    root = _map([_point()])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "map-title map-desc"
    assert root.find(f"{SVG}title").text == "Benefit and risk"
    assert root.find(f"{SVG}desc").text == "One point per area"


def test_hostile_labels_stay_text():
    label = '<script>alert(1)</script>" onload="x'
    svg = benefit_risk_map([_point(label=label)], chart_id="m", title="<b>t</b>", desc="&", x_label="<i>", y_label="'")
    assert "<script>" not in svg
    assert "<b>" not in svg
    root = _parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert label in texts


def test_a_point_sits_at_its_medians_with_whiskers_over_its_quartiles():
    root = _map([_point(benefit=5, risk=5, benefit_q1=4, benefit_q3=6, risk_q1=3, risk_q3=7)])
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "point")
    circle = group.find(f"{SVG}circle")
    # The plot spans x 56..624 and y 16..432 for the scale 1..9, so 5 is the middle of each.
    assert float(circle.get("cx")) == 340
    assert float(circle.get("cy")) == 224
    horizontal, vertical = group.findall(f"{SVG}line")
    assert (float(horizontal.get("x1")), float(horizontal.get("x2"))) == (269, 411)
    assert (float(vertical.get("y1")), float(vertical.get("y2"))) == (328, 120)


def test_each_verdict_has_its_own_shape_so_colour_is_not_the_only_cue():
    verdicts = ["promising", "safeguards", "avoid", "no_consensus_yet"]
    root = _map([_point(label=v, verdict=v) for v in verdicts])
    shapes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "point":
            marker = next(child for child in group if child.tag not in {f"{SVG}line", f"{SVG}title", f"{SVG}text"})
            shapes[group.get("data-verdict")] = marker.tag
    assert len(set(shapes.values())) == 3  # circle, rect, polygon (diamond and triangle)
    assert set(shapes) == set(verdicts)


def test_unknown_verdicts_are_drawn_as_no_consensus():
    root = _map([_point(verdict="something-else")])
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "point")
    assert group.find(f"{SVG}polygon") is not None


def test_line_chart_breaks_the_line_where_an_item_was_not_asked():
    svg = line_chart(
        [Series("A/B1", [2.0, None, 1.0, 0.5]), Series("A/B2", [3.0, 2.0, 1.0, 1.0])],
        x_labels=["R1", "R2", "R3", "R4"],
        chart_id="conv",
        title="IQR by round",
        desc="d",
        x_label="Round",
        y_label="IQR",
    )
    root = _parse(svg)
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    first, second = series
    assert len(first.findall(f"{SVG}polyline")) == 1  # only R3–R4 is a segment; R1 stands alone
    assert len(first.findall(f"{SVG}circle")) == 3
    assert len(second.findall(f"{SVG}polyline")) == 1
    assert len(second.findall(f"{SVG}circle")) == 4
    assert [t.text for t in root.iter(f"{SVG}text")][-4:] == ["R1", "R2", "R3", "R4"]


def test_line_chart_with_no_values_still_draws_empty_axes():
    root = _parse(line_chart([], x_labels=[], chart_id="e", title="t", desc="d", x_label="x", y_label="y"))
    assert root.find(f"{SVG}title").text == "t"


def _map_with_previous(previous: dict[str, tuple[float, float]]) -> Any:
    svg = benefit_risk_map(
        [_point(label="Verification", benefit=5, risk=5), _point(label="Protocols", benefit=8, risk=2)],
        chart_id="moves",
        title="t",
        desc="d",
        x_label="Benefit",
        y_label="Risk",
        previous=previous,
    )
    return _parse(svg)


def test_the_map_marks_where_a_point_was_last_round_and_draws_an_arrow_to_where_it_is():
    root = _map_with_previous({"Verification": (3, 7)})
    moves = [g for g in root.iter(f"{SVG}g") if g.get("class") == "movement"]
    assert [g.get("data-label") for g in moves] == ["Verification"]
    ring = moves[0].find(f"{SVG}circle")
    # 3 on the 1..9 scale is a quarter across: x 56 + 142 = 198; 7 is three quarters up: y 432 - 312 = 120.
    assert (float(ring.get("cx")), float(ring.get("cy"))) == (198, 120)
    assert ring.get("fill") == "none"
    arrow = moves[0].find(f"{SVG}line")
    assert arrow.get("marker-end") == "url(#moves-arrow)"
    assert (float(arrow.get("x1")), float(arrow.get("y1"))) == (198, 120)
    # The arrow stops short of the current point (340, 224) so its head stays visible.
    assert 190 < float(arrow.get("x2")) < 340
    assert 120 < float(arrow.get("y2")) < 224
    assert root.find(f"{SVG}defs/{SVG}marker").get("id") == "moves-arrow"


def test_a_point_that_did_not_move_gets_a_ring_but_no_arrow():
    root = _map_with_previous({"Protocols": (8, 2)})
    move = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "movement")
    assert move.find(f"{SVG}line") is None


def test_without_a_previous_round_nothing_extra_is_drawn():
    root = _map_with_previous({})
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "movement"]
    assert root.find(f"{SVG}defs") is None


def test_line_chart_names_every_series_in_a_legend_with_its_own_dash_pattern():
    series = [Series(f"item {i}", [1.0, 2.0]) for i in range(5)]
    root = _parse(
        line_chart(series, x_labels=["R1", "R2"], chart_id="c", title="t", desc="d", x_label="x", y_label="y")
    )
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == [f"item {i}" for i in range(5)]
    dashes = [line.get("stroke-dasharray") for line in legend.iter(f"{SVG}line")]
    assert len(set(dashes)) == 5
    lines = [
        g.find(f"{SVG}polyline").get("stroke-dasharray") for g in root.iter(f"{SVG}g") if g.get("class") == "series"
    ]
    assert lines == dashes
    # The legend adds height under the plot (entries as wide as their labels: one row at 640 wide).
    assert root.get("viewBox") == "0 0 640 346"


def test_a_label_near_the_right_edge_goes_on_the_left_of_its_point():
    root = _map([_point(label="Verification mechanisms", benefit=9, risk=5), _point(label="Left", benefit=2, risk=5)])
    labels = {t.text: t for t in root.iter(f"{SVG}text") if t.text in {"Verification mechanisms", "Left"}}
    assert labels["Verification mechanisms"].get("text-anchor") == "end"
    assert float(labels["Verification mechanisms"].get("x")) < 624
    assert labels["Left"].get("text-anchor") == "start"


def test_wide_characters_count_double_when_fitting_labels():
    assert text_width("核查机制") == 2 * text_width("abcd") / 1.2


def test_line_chart_keeps_its_first_and_last_round_labels_inside_the_plot():
    svg = line_chart([Series("a", [1.0, 2.0, 3.0])], x_labels=["R1", "R2", "R3"], chart_id="c", title="t", desc="d",
                     x_label="x", y_label="y")  # fmt: skip
    texts = {t.text: t.get("text-anchor") for t in _parse(svg).iter(f"{SVG}text")}
    assert (texts["R1"], texts["R2"], texts["R3"]) == ("start", "middle", "end")


def _dots(rows: list[DotRow], groups: list[str]) -> Any:
    return _parse(group_dots(rows, groups=groups, chart_id="dots", title="t", desc="d", x_label="Median"))


def test_group_dots_draw_one_marker_per_group_with_a_bar_over_the_gap():
    root = _dots([DotRow("Verification / B1", {"United States": 9, "China": 6})], ["United States", "China", "Europe"])
    dots = [g for g in root.iter(f"{SVG}g") if g.get("class") == "dot"]
    assert [g.get("data-group") for g in dots] == ["United States", "China"]
    # Different shapes, not only colours: a circle for the first group, a square for the second.
    assert dots[0].find(f"{SVG}circle") is not None
    assert dots[1].find(f"{SVG}rect") is not None
    assert dots[0].find(f"{SVG}title").text == "United States: 9"
    row = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "dot-row")
    gap = row.find(f"{SVG}line")
    # The plot spans x 200..624 for 1..9: 6 sits at 465, 9 at 624.
    assert (float(gap.get("x1")), float(gap.get("x2"))) == (465, 624)


def test_group_dots_name_every_group_in_the_legend_and_escape_labels():
    root = _dots([DotRow("<b>x</b>", {"A": 3})], ["A", "<i>B</i>"])
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["A", "<i>B</i>"]
    row = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "dot-row")
    assert row.find(f"{SVG}line") is None  # a single group has no gap to draw


def test_group_dots_wrap_long_item_labels_and_keep_them_whole_in_the_tooltip():
    long = "Verification mechanisms / B3 Added value of working jointly"
    root = _dots([DotRow(long, {"A": 3})], ["A"])
    row = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "dot-row")
    assert row.find(f"{SVG}title").text == long
    shown = [t.text for t in row.findall(f"{SVG}text")]
    assert " ".join(shown) == long
    assert all(text_width(line) <= 188 for line in shown)


def test_bars_are_grouped_labelled_and_scaled_to_the_largest():
    bars = [Bar("Round 1", "Invited", 8), Bar("Round 1", "Submitted", 4), Bar("Round 2", "Invited", 8),
            Bar("Round 2", "Submitted", 2, text="2 (25%)")]  # fmt: skip
    root = _parse(bar_chart(bars, chart_id="b", title="t", desc="d"))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(groups) == 4
    widths = [float(g.find(f"{SVG}rect").get("width")) for g in groups]
    # 640 − 160 − (the widest value text "2 (25%)", 50.4, + 16) = 413.6 pixels for the largest value (8).
    assert widths == [413.6, 206.8, 413.6, 103.4]
    # Each label keeps its colour in every group.
    fills = [g.find(f"{SVG}rect").get("fill") for g in groups]
    assert fills[0] == fills[2]
    assert fills[1] == fills[3]
    assert fills[0] != fills[1]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:4] == ["Round 1", "Invited", "8", "Submitted"]
    assert "2 (25%)" in texts


def test_bars_of_nothing_do_not_divide_by_zero():
    root = _parse(bar_chart([Bar("R", "Invited", 0)], chart_id="b", title="t", desc="d"))
    assert float(next(root.iter(f"{SVG}rect")).get("width")) == 640  # the background; the bar below is empty
    assert [float(r.get("width")) for r in root.iter(f"{SVG}rect")][1] == 0


def test_long_value_texts_keep_inside_the_chart():
    bars = [Bar("Round 1", "Submitted", 8, text="8 (100% of those invited)")]
    root = _parse(bar_chart(bars, chart_id="b", title="t", desc="d"))
    rect = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "bar").find(f"{SVG}rect")
    end = float(rect.get("x")) + float(rect.get("width"))
    assert end + 6 + text_width("8 (100% of those invited)") <= 640


def _label_boxes(root: Any) -> list[tuple[float, float, float, float]]:
    """The map's point labels as (left, top, right, bottom) from their position, anchor and estimated width."""
    boxes = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "point":
            continue
        for text in group.iter(f"{SVG}text"):
            x, y, width = float(text.get("x")), float(text.get("y")), text_width(text.text)
            left = x if text.get("text-anchor") == "start" else x - width
            boxes.append((left, y - 11, left + width, y + 3))
    return boxes


def test_map_labels_never_overlap_even_for_points_on_top_of_each_other():
    """Issue 20: "Joint red-teaming ofShared protocols", two labels drawn over each other."""
    points = [
        _point("Joint red-teaming of frontier models", benefit=6.5, risk=3.0),
        _point("Shared protocols", benefit=6.5, risk=3.0),
        _point("Shared protocols for incidents", benefit=6.6, risk=3.1),
        _point("Verification mechanisms", benefit=6.4, risk=2.9),
        _point("Evaluation science", benefit=6.5, risk=3.05),
        _point("Infrastructure", benefit=6.55, risk=2.95),
        _point("Dangerous-capability evaluations", benefit=6.45, risk=3.0),
    ]
    root = _map(points)
    boxes = _label_boxes(root)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    named = "".join(text.text or "" for text in root.iter(f"{SVG}text"))
    for point in points:  # every label is on the chart or in its key, whole
        assert point.label in named
    width, height = (float(n) for n in root.get("viewBox").split()[2:])
    assert all(box[0] >= 0 and box[2] <= width and box[3] <= height for box in boxes)


def test_line_chart_ticks_sit_at_round_numbers():
    """Issue 20: the y axis read 0, 1.1, 2.1, 3.2 for values up to 4.25."""
    svg = line_chart(
        [Series("A", [4.25, 2.0]), Series("B", [1.0, 0.5])],
        x_labels=["1", "2"],
        chart_id="iqr",
        title="IQR",
        desc="IQR per round",
        x_label="Round",
        y_label="IQR",
    )
    ticks = [t.text for t in _parse(svg).iter(f"{SVG}text") if t.get("x") == "48"]  # left of the y axis
    assert ticks == ["0", "1", "2", "3", "4", "5"]


def test_legends_show_long_names_whole():
    names = ["Verification mechanisms (hardware)", "Dangerous-capability evaluations", "欧洲联盟及其成员国的专家"]
    svg = line_chart(
        [Series(name, [1.0, 2.0]) for name in names],
        x_labels=["1", "2"],
        chart_id="c",
        title="t",
        desc="d",
        x_label="Round",
        y_label="Cns",
    )
    root = _parse(svg)
    shown = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "legend" for t in g.iter(f"{SVG}text")]
    assert shown == names
    width, height = (float(n) for n in root.get("viewBox").split()[2:])
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "legend":
            for t in g.iter(f"{SVG}text"):
                assert float(t.get("x")) + text_width(t.text) <= width
                assert float(t.get("y")) <= height
    dots = group_dots(
        [DotRow("B1", dict.fromkeys(names, 5.0))], groups=names, chart_id="d", title="t", desc="d", x_label="x"
    )
    legend = [t.text for g in _parse(dots).iter(f"{SVG}g") if g.get("class") == "legend" for t in g.iter(f"{SVG}text")]
    assert legend == names


def test_group_dots_show_blocs_with_equal_medians_side_by_side():
    """Issue 20: the divided-items plot drew two blocs with the same median on the same spot."""
    groups = ["United States", "China", "Europe"]
    svg = group_dots(
        [DotRow("R2", {"United States": 7.0, "China": 7.0, "Europe": 2.0})],
        groups=groups,
        chart_id="d",
        title="t",
        desc="d",
        x_label="Median",
    )
    centres = {}
    for group in _parse(svg).iter(f"{SVG}g"):
        if group.get("class") == "dot":
            marker = next(element for element in group if not element.tag.endswith("title"))
            centres[group.get("data-group")] = _centre(marker)
    us, china = centres["United States"], centres["China"]
    assert us[0] == china[0]  # the same median, the same x
    assert abs(us[1] - china[1]) >= 8  # but not on top of each other


def _centre(marker: Any) -> tuple[float, float]:
    if marker.tag.endswith("circle"):
        return float(marker.get("cx")), float(marker.get("cy"))
    if marker.tag.endswith("rect"):
        half = float(marker.get("width")) / 2
        return float(marker.get("x")) + half, float(marker.get("y")) + half
    points = [tuple(map(float, pair.split(","))) for pair in marker.get("points").split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def test_divided_item_labels_wrap_whole_and_rows_never_overlap():
    """Issue 20 (labels never cut): the demo's divided plot read "Dangerous-capability eval…", without the
    criterion, so two split items of one area could not be told apart."""
    labels = [
        "Dangerous-capability evaluations / R2",
        "Dangerous-capability evaluations / R3",
        "危险能力评估与共同的安全基础设施 / R2",
    ]
    root = _parse(
        group_dots(
            [DotRow(label, {"A": 2.0, "B": 8.0}) for label in labels],
            groups=["A", "B"],
            chart_id="d",
            title="t",
            desc="d",
            x_label="Median",
        )
    )
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "dot-row"]
    spans = []
    for label, row in zip(labels, rows, strict=True):
        lines = row.findall(f"{SVG}text")
        shown = [t.text or "" for t in lines]
        assert "…" not in "".join(shown)
        assert "".join(shown).replace(" ", "") == label.replace(" ", "")  # every character, in order
        assert len(lines) > 1  # too wide for one line at 200 px
        for t in lines:
            assert float(t.get("x")) - text_width(t.text or "") >= 0  # inside the chart on the left
        ys = [float(t.get("y")) for t in lines]
        spans.append((min(ys) - 12, max(ys)))  # a line's text stands about 12 px above its baseline
    for (_top, bottom), (next_top, _bottom) in itertools.pairwise(spans):
        assert bottom < next_top  # one row's label ends before the next row's begins
    height = float(root.get("viewBox").split()[3])
    assert spans[-1][1] < height


def test_wrap_label_breaks_between_words_and_inside_a_word_only_when_it_must():
    assert wrap_label("Shared protocols / R1", 200) == ["Shared protocols / R1"]
    assert wrap_label("Dangerous-capability evaluations / R2", 188) == ["Dangerous-capability", "evaluations / R2"]
    assert wrap_label("x" * 40, 120) == ["x" * 16, "x" * 16, "x" * 8]  # 7.2 px a character
    assert wrap_label("", 100) == [""]
