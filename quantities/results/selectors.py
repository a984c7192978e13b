"""What the coordinator's quantity results page shows: pooled distributions, interval plots, scores, weights.

Everything is read from the round's shown aggregation run (``aggregation.selectors.shown_run``); a withheld
row (fewer than k experts behind it) shows nothing but its reason. Experts appear by pseudonym, or, in a
study with strict anonymity, by a row number that no other page uses.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aggregation.models import ExpertPerformance, PooledQuantity
from aggregation.selectors import shown_run
from elicitation.models import Round, Study
from quantities.models import QuantityQuestion

WIDTH, LEFT, RIGHT, ROW = 640.0, 150.0, 20.0, 16.0
SCATTER = 320.0


@dataclass
class PlotRow:
    label: str
    x1: float
    x2: float
    middle: float
    y: float
    kind: str  # "expert", "pool" or "bloc"


@dataclass
class QuestionResult:
    question: QuantityQuestion
    rows: list[PooledQuantity] = field(default_factory=list)
    plot: list[PlotRow] = field(default_factory=list)
    height: float = 0.0
    truth_x: float | None = None
    axis: tuple[str, str] = ("", "")


@dataclass
class Point:
    label: str
    x: float
    y: float
    is_dm: bool = False


@dataclass
class RoundQuantities:
    run_id: int | None
    questions: list[QuestionResult]
    performance: list[dict[str, Any]]
    scatter: list[Point]


def expert_label(study: Study, performance: ExpertPerformance, index: int) -> str:
    if study.anonymity == Study.Anonymity.STRICT:
        return f"#{index + 1}"
    return performance.expert.pseudonym


def round_quantities(study: Study, round_: Round) -> RoundQuantities:
    """The round's quantity results in four queries (run, questions, pooled rows, performance rows)."""
    run = shown_run(round_.pk)
    questions = list(QuantityQuestion.objects.filter(study=study).order_by("area__order", "area_id", "order", "id"))
    pooled = list(PooledQuantity.objects.filter(run=run)) if run else []
    performance = (
        list(ExpertPerformance.objects.filter(run=run, group="").select_related("expert").order_by("expert__number"))
        if run
        else []
    )
    by_question: dict[int, list[PooledQuantity]] = defaultdict(list)
    for row in pooled:
        by_question[row.question_id].append(row)
    results = []
    for question in questions:
        rows = sorted(by_question.get(question.pk, []), key=lambda r: (r.group != "", r.group, r.method))
        if rows:
            results.append(_question_result(question, rows))
    table, scatter = _performance(study, performance, pooled)
    return RoundQuantities(run_id=run.pk if run else None, questions=results, performance=table, scatter=scatter)


def _question_result(question: QuantityQuestion, rows: list[PooledQuantity]) -> QuestionResult:
    result = QuestionResult(question=question, rows=rows)
    lines: list[tuple[str, list[float], str]] = []
    panel_equal = next((row for row in rows if row.group == "" and row.method == "equal"), None)
    if panel_equal is not None:
        lines += [("", interval, "expert") for interval in panel_equal.intervals]
    for row in rows:
        if row.quantiles:
            label = f"{row.group or 'panel'} · {row.method}"
            lines.append((label, row.quantiles, "pool" if row.group == "" else "bloc"))
    values = [value for _label, interval, _kind in lines for value in interval if math.isfinite(value)]
    truth = question.realization if question.is_seed else None
    if truth is not None:
        values.append(truth)
    if not values:
        return result
    log = question.scale == QuantityQuestion.Scale.LOG and min(values) > 0
    scale = (lambda v: math.log(v)) if log else (lambda v: v)
    low, high = scale(min(values)), scale(max(values))
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return round(LEFT + (scale(value) - low) / span * (WIDTH - LEFT - RIGHT), 2)

    for index, (label, interval, kind) in enumerate(lines):
        middle = interval[len(interval) // 2]
        result.plot.append(PlotRow(label, x(interval[0]), x(interval[-1]), x(middle), (index + 1) * ROW, kind))
    result.height = (len(lines) + 2) * ROW
    result.truth_x = x(truth) if truth is not None else None
    result.axis = (f"{min(values):.4g}", f"{max(values):.4g}")
    return result


def _performance(
    study: Study, performance: list[ExpertPerformance], pooled: list[PooledQuantity]
) -> tuple[list[dict[str, Any]], list[Point]]:
    rows: dict[int, dict[str, Any]] = {}
    for index, row in enumerate(sorted({p.expert_id: p for p in performance}.values(), key=lambda p: p.expert.number)):
        rows[row.expert_id] = {"label": expert_label(study, row, index)}
    for row in performance:
        rows[row.expert_id].update(
            {
                "n_seeds": row.n_seeds,
                "calibration": row.calibration,
                "information_seeds": row.information_seeds,
                "information_all": row.information_all,
                f"{row.method}_unnormalised": row.weight_unnormalised,
                f"{row.method}_normalised": row.weight_normalised,
            }
        )
    table = list(rows.values())
    points = [
        (row["label"], row["information_seeds"], row["calibration"], False)
        for row in table
        if row.get("calibration") and row.get("information_seeds") is not None
    ]
    dm = next((p for p in pooled if p.group == "" and p.method == "global" and p.dm_calibration), None)
    if dm is not None and dm.dm_information_seeds is not None:
        points.append(("DM", dm.dm_information_seeds, dm.dm_calibration, True))
    return table, _scatter(points)


def _scatter(points: list[tuple[str, float, float, bool]]) -> list[Point]:
    """Calibration (log scale, 1e-6 to 1) against information on the seeds, in a square of SCATTER units."""
    if not points:
        return []
    most = max(information for _label, information, _c, _dm in points) or 1.0
    placed = []
    for label, information, calibration, is_dm in points:
        y = 1 - (math.log10(max(calibration, 1e-6)) + 6) / 6
        placed.append(
            Point(label, round(30 + information / most * (SCATTER - 50), 2), round(10 + y * (SCATTER - 40), 2), is_dm)
        )
    return placed


POOLED_COLUMNS = ["question", "group", "method", "n", "suppressed", "quantiles", "cutoff", "dm_calibration",
                  "dm_information_seeds", "dm_information_all", "note"]  # fmt: skip
EXPERT_COLUMNS = ["expert", "n_seeds", "calibration", "information_seeds", "information_all", "global_unnormalised",
                  "global_normalised", "item_unnormalised", "item_normalised"]  # fmt: skip


def results_csv(data: RoundQuantities, table: str) -> str:
    """One table of the page as CSV: "pooled" (per question, group and method) or "experts" (scores, weights)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "pooled":
        writer.writerow(POOLED_COLUMNS)
        for result in data.questions:
            for row in result.rows:
                quantiles = " ".join(f"{value:.6g}" for value in row.quantiles)
                writer.writerow([result.question.code, row.group, row.method, row.n, row.suppressed, quantiles,
                                 *(_csv(getattr(row, name)) for name in POOLED_COLUMNS[6:10]), row.note])  # fmt: skip
    else:
        writer.writerow(EXPERT_COLUMNS)
        for expert in data.performance:
            writer.writerow([expert["label"], *(_csv(expert.get(name)) for name in EXPERT_COLUMNS[1:])])
    return out.getvalue()


def _csv(value: Any) -> Any:
    return "" if value is None else value
