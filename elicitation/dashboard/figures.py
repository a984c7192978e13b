"""The dashboard's figures: the data behind each chart (shown again as a table) and its SVG.

A page and the chart's SVG download build a figure through the same function, so the file a
coordinator downloads is exactly the chart on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from aggregation.models import AreaVerdict, ItemResult
from elicitation.dashboard import report, selectors
from elicitation.dashboard.charts import (
    Bar,
    DotRow,
    MapPoint,
    Series,
    bar_chart,
    benefit_risk_map,
    group_dots,
    line_chart,
)
from elicitation.dashboard.selectors import Label
from elicitation.models import Criterion, Round, Study


@dataclass(frozen=True)
class Figure:
    """One chart: its element id, title, the inline SVG and the name its download gets."""

    chart_id: str
    title: str
    svg: SafeString
    slug: str


@dataclass(frozen=True)
class MapRow:
    """One area on the benefit × risk map: the criteria that place it and its verdict."""

    area: Label
    benefit_criterion: Label | None
    benefit: ItemResult | None
    risk_criterion: Label | None
    risk: ItemResult | None
    verdict: str
    verdict_label: str
    previous: tuple[float, float] | None

    @property
    def plotted(self) -> bool:
        return bool(self.benefit and self.benefit.median is not None and self.risk and self.risk.median is not None)


@dataclass(frozen=True)
class ConvergenceRow:
    """One item's panel rows across the study's rounds (None where it was not asked or not computed)."""

    criterion: Label
    by_round: list[ItemResult | None]


def _extreme(
    area: Label, criteria: Sequence[Label], items: dict[tuple[int, int, int], ItemResult], round_id: int, kind: str
) -> tuple[Label | None, ItemResult | None]:
    """The benefit criterion with the lowest median, or the risk criterion with the highest.

    The lowest benefit is the one the verdict's "every benefit at least the threshold" depends on.
    """
    rated = [
        (c, row)
        for c in criteria
        if c.kind == kind and (row := items.get((round_id, area.id, c.id))) is not None and row.median is not None
    ]
    if not rated:
        return None, None
    sign = 1 if kind == Criterion.Kind.BENEFIT else -1
    return min(rated, key=lambda pair: sign * float(pair[1].median or 0))


def map_rows(
    areas: Sequence[Label],
    criteria: Sequence[Label],
    items: dict[tuple[int, int, int], ItemResult],
    verdicts: dict[int, AreaVerdict],
    *,
    round_id: int,
    previous_round_id: int | None,
) -> list[MapRow]:
    verdict_labels = dict(AreaVerdict.Verdict.choices)
    with_results = {area_id for (rid, area_id, _c) in items if rid == round_id}
    rows = []
    for area in areas:
        if not area.active and area.id not in with_results and area.id not in verdicts:
            continue
        benefit_criterion, benefit = _extreme(area, criteria, items, round_id, Criterion.Kind.BENEFIT)
        risk_criterion, risk = _extreme(area, criteria, items, round_id, Criterion.Kind.RISK)
        previous = None
        if previous_round_id is not None:
            old_benefit = _extreme(area, criteria, items, previous_round_id, Criterion.Kind.BENEFIT)[1]
            old_risk = _extreme(area, criteria, items, previous_round_id, Criterion.Kind.RISK)[1]
            if old_benefit and old_risk and old_benefit.median is not None and old_risk.median is not None:
                previous = (old_benefit.median, old_risk.median)
        verdict = verdicts[area.id].verdict if area.id in verdicts else AreaVerdict.Verdict.NO_CONSENSUS_YET
        rows.append(
            MapRow(
                area=area,
                benefit_criterion=benefit_criterion,
                benefit=benefit,
                risk_criterion=risk_criterion,
                risk=risk,
                verdict=verdict,
                verdict_label=str(verdict_labels.get(verdict, verdict)),
                previous=previous,
            )
        )
    return rows


def _quartiles(row: ItemResult) -> tuple[float, float]:
    median = float(row.median or 0)
    return (row.q1 if row.q1 is not None else median), (row.q3 if row.q3 is not None else median)


def map_figure(study: Study, rows: Sequence[MapRow], round_: Round, *, scale: tuple[int, int]) -> Figure:
    points = []
    previous = {}
    for row in rows:
        if not row.plotted or row.benefit is None or row.risk is None:
            continue
        benefit_q1, benefit_q3 = _quartiles(row.benefit)
        risk_q1, risk_q3 = _quartiles(row.risk)
        points.append(
            MapPoint(
                label=row.area.title,
                benefit=float(row.benefit.median or 0),
                risk=float(row.risk.median or 0),
                benefit_q1=benefit_q1,
                benefit_q3=benefit_q3,
                risk_q1=risk_q1,
                risk_q3=risk_q3,
                verdict=row.verdict,
            )
        )
        if row.previous is not None:
            previous[row.area.title] = row.previous
    title = _("Benefit and risk of each area, round %(number)s") % {"number": round_.number}
    desc = _(
        "One point per area at the median of its weakest benefit criterion (across) and of its highest "
        "risk criterion (up), with lines over the interquartile ranges. Dashed lines mark the verdict "
        "thresholds. Rings and arrows show where a point was in the previous round. The table beside the "
        "chart gives the same numbers."
    )
    svg = benefit_risk_map(
        points,
        chart_id="chart-map",
        title=title,
        desc=desc,
        x_label=_("Benefit (median of the weakest benefit criterion)"),
        y_label=_("Risk (median of the highest risk)"),
        scale=scale,
        benefit_threshold=float(study.benefit_threshold),
        risk_thresholds=sorted(
            {float(study.risk_low_threshold), float(study.risk_safeguard_threshold), float(study.risk_avoid_threshold)}
        ),
        previous=previous,
    )
    return Figure(chart_id="chart-map", title=title, svg=mark_safe(svg), slug="map")  # noqa: S308 - charts.py escapes


def build_map(
    study: Study, rounds: Sequence[Round], round_: Round, language: str | None
) -> tuple[list[MapRow], Figure]:
    """The map of ``round_`` with arrows from the round before (four queries)."""
    before = selectors.previous_round(rounds, round_)
    areas, criteria = selectors.labels(study, language, round_number=round_.number)
    round_ids = [round_.pk] + ([before.pk] if before else [])
    items = selectors.item_results(round_ids)
    verdicts = selectors.area_verdicts(round_.pk)
    rows = map_rows(
        areas, criteria, items, verdicts, round_id=round_.pk, previous_round_id=before.pk if before else None
    )
    return rows, map_figure(study, rows, round_, scale=study_scale(criteria))


def study_scale(criteria: Sequence[Label]) -> tuple[int, int]:
    """The map's axes span every benefit and risk criterion's scale (1–9 in the templates)."""
    rated = [c.scale for c in criteria if c.kind in {Criterion.Kind.BENEFIT, Criterion.Kind.RISK}]
    if not rated:
        return (1, 9)
    return min(low for low, _high in rated), max(high for _low, high in rated)


def convergence_rows(
    area: Label, criteria: Sequence[Label], rounds: Sequence[Round], history: dict[tuple[int, int, int], ItemResult]
) -> list[ConvergenceRow]:
    return [
        ConvergenceRow(criterion=c, by_round=[history.get((r.number, area.id, c.id)) for r in rounds]) for c in criteria
    ]


def convergence_figure(area: Label, rows: Sequence[ConvergenceRow], rounds: Sequence[Round], metric: str) -> Figure:
    """IQR (``metric="iqr"``) or Tastle–Wierman Cns (``"cns"``) of each criterion of one area, by round."""
    series = [
        Series(
            label=f"{row.criterion.code} {row.criterion.title}",
            values=[getattr(r, metric) if r is not None else None for r in row.by_round],
        )
        for row in rows
    ]
    x_labels = [_("Round %(number)s") % {"number": r.number} for r in rounds]
    if metric == "cns":
        title = _("Consensus (Cns) by round: %(area)s") % {"area": area.title}
        y_label, y_range = _("Cns (1 = full agreement)"), (0.0, 1.0)
    else:
        title = _("Interquartile range by round: %(area)s") % {"area": area.title}
        y_label, y_range = _("IQR (lower = more agreement)"), None
    chart_id = f"chart-{metric}-{area.code}"
    svg = line_chart(
        series,
        x_labels=x_labels,
        chart_id=chart_id,
        title=title,
        desc=_("One line per criterion, one point per round; the table beside the chart gives the same numbers."),
        x_label=_("Round"),
        y_label=y_label,
        y_range=y_range,
    )
    return Figure(chart_id=chart_id, title=title, svg=mark_safe(svg), slug=f"{metric}-{area.code}")  # noqa: S308


def build_convergence(
    study: Study, rounds: Sequence[Round], language: str | None
) -> list[tuple[Label, list[ConvergenceRow], Figure, Figure]]:
    """Per area: its criteria across rounds and the IQR and Cns charts (three queries)."""
    areas, criteria = selectors.labels(study, language)
    history = selectors.panel_history(study)
    shown = [r for r in rounds if r.status != Round.Status.DRAFT]
    areas, criteria = selectors.shown_labels(areas, criteria, ((a, c) for _n, a, c in history))
    result = []
    for area in areas:
        rows = convergence_rows(area, criteria, shown, history)
        result.append(
            (area, rows, convergence_figure(area, rows, shown, "iqr"), convergence_figure(area, rows, shown, "cns"))
        )
    return result


def divided_figure(rows: Sequence[report.DividedRow], columns: Sequence[str], round_: Round) -> Figure:
    """The divided items' bloc medians side by side on the rating scale, one line per item."""
    dots = [
        DotRow(
            label=f"{row.area.title} / {row.criterion.code}",
            values={name: median for name, median in zip(columns, row.medians, strict=True) if median is not None},
        )
        for row in rows
    ]
    shown = [name for index, name in enumerate(columns) if any(row.medians[index] is not None for row in rows)]
    title = _("Bloc medians of the items split along bloc lines, round %(number)s") % {"number": round_.number}
    svg = group_dots(
        dots,
        groups=shown,
        chart_id="chart-divided",
        title=title,
        desc=_(
            "One line per divided item with each bloc's median as a marker (a different shape per bloc) and a "
            "grey bar over the gap between them. Blocs with fewer than k ratings are not drawn. The table "
            "below gives the same numbers."
        ),
        x_label=_("Median rating"),
        scale=(1, 9),
    )
    return Figure(chart_id="chart-divided", title=title, svg=mark_safe(svg), slug="divided")  # noqa: S308


def build_divided(
    study: Study, round_: Round, language: str | None
) -> tuple[list[report.DividedRow], list[str], Figure]:
    """The round's divided items, their bloc columns and the dot plot (three queries)."""
    areas, criteria = selectors.labels(study, language, round_number=round_.number)
    rows = report.divided_rows(selectors.divided_items(round_.pk), areas, criteria, study)
    columns = report.bloc_columns(rows, study.blocs)
    return rows, columns, divided_figure(rows, columns, round_)


def participation_figure(rounds: Sequence[selectors.RoundParticipation]) -> Figure:
    """Invited, opened, started and submitted per round, as bars; the submissions also as a share."""
    stages = [
        (_("Invited"), "invited"),
        (_("Opened"), "opened"),
        (_("Started"), "started"),
        (_("Submitted"), "submitted"),
    ]
    bars = []
    for entry in rounds:
        group = _("Round %(number)s") % {"number": entry.number}
        for label, stage in stages:
            value = getattr(entry.total, stage)
            text = str(value)
            if stage == "submitted" and entry.total.response_rate is not None:
                text = _("%(count)s (%(rate)s%% of those invited)") % {
                    "count": value,
                    "rate": f"{entry.total.response_rate:.0f}",
                }
            bars.append(Bar(group=group, label=label, value=value, text=text))
    title = _("Participation by round")
    svg = bar_chart(
        bars,
        chart_id="chart-participation",
        title=title,
        desc=_(
            "For each round, bars for the experts invited, who opened the survey, started and submitted. "
            "The table below gives the same numbers."
        ),
    )
    return Figure(chart_id="chart-participation", title=title, svg=mark_safe(svg), slug="participation")  # noqa: S308
