"""The quantity tables (issue 19): questions, answers (pseudonymous), pooled results and scores, in every export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from aggregation.models import ExpertPerformance, PooledQuantity
from aggregation.services import round_aggregate
from elicitation.models import Round, Study
from exports.bundle import BUNDLE_TABLES
from exports.services import export_job_create
from exports.tables import TABLE_NAMES, build_table, scope_for
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion
from tests.factories import make_round, mark_submitted

pytestmark = pytest.mark.django_db

QUANTITY_TABLES = ["quantity_questions", "quantity_answers", "quantity_pooled", "quantity_performance"]


@pytest.fixture
def pooled_study(study_a: Study) -> Study:
    """Eight experts answered two seeds (true values known) and a target in round 1, pooled; round 2 open."""
    QuantityFormat.objects.create(study=study_a)
    area = study_a.areas.earliest("order")
    questions = [
        QuantityQuestion.objects.create(
            study=study_a,
            area=area,
            code=code,
            title=code,
            lower_bound=0,
            is_seed=truth is not None,
            realization=truth,
            order=order,
        )
        for order, (code, truth) in enumerate([("seed1", 40.0), ("seed2", 7.0), ("target", None)])
    ]
    first = make_round(study_a, status=Round.Status.CLOSED)
    experts = list(study_a.experts.order_by("number"))
    QuantityAnswer.objects.bulk_create(
        QuantityAnswer(round=first, expert=e, question=q, lowest=1 + i, best=10 + 5 * i + j, highest=60 + 8 * i,
                       confidence=80)
        for i, e in enumerate(experts)
        for j, q in enumerate(questions)
    )  # fmt: skip
    mark_submitted(first, experts)
    round_aggregate(round_id=first.pk)
    make_round(study_a, status=Round.Status.OPEN)
    return study_a


def rows(name: str, study: Study) -> list[dict[str, object]]:
    table = build_table(name, scope_for(study))
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows()]


def test_the_questions_table_marks_seeds_and_their_truths(pooled_study: Study) -> None:
    found = {row["question"]: row for row in rows("quantity_questions", pooled_study)}
    assert (found["seed1"]["seed"], found["seed1"]["realization"]) == (True, 40.0)
    assert (found["target"]["seed"], found["target"]["realization"]) == (False, None)


def test_the_answers_table_has_every_answer_under_a_pseudonym(pooled_study: Study) -> None:
    found = rows("quantity_answers", pooled_study)
    assert len(found) == 8 * 3
    first = found[0]
    assert (first["round"], first["question"], first["pseudonym"]) == (1, "seed1", "E-01")
    assert (first["lowest"], first["best"], first["highest"], first["confidence"], first["values"]) == (
        1.0,
        10.0,
        60.0,
        80.0,
        "",
    )
    assert "email" not in str(found)


def test_the_pooled_table_has_panel_and_methods_as_stored(pooled_study: Study) -> None:
    found = rows("quantity_pooled", pooled_study)
    stored = PooledQuantity.objects.filter(round__number=1)
    assert len(found) == stored.count() > 0
    assert {row["method"] for row in found} == {"equal", "global", "item"}
    panel_global = next(r for r in found if r["question"] == "target" and r["group"] == "" and r["method"] == "global")
    row = stored.get(question__code="target", group="", method="global")
    assert panel_global["quantiles"] == ";".join(f"{v:.10g}" for v in row.quantiles)
    assert panel_global["cutoff"] == row.cutoff
    for line in found:
        if line["suppressed"]:
            assert line["quantiles"] == ""


def test_the_performance_table_gives_scores_and_weights(pooled_study: Study) -> None:
    found = rows("quantity_performance", pooled_study)
    assert len(found) == ExpertPerformance.objects.count() > 0
    panel = [r for r in found if r["group"] == "" and r["method"] == "global"]
    assert len(panel) == 8
    weights = [float(str(r["weight_normalised"] or 0)) for r in panel]
    assert sum(weights) == pytest.approx(1.0)


def test_strict_anonymity_drops_who_and_leaves_open_rounds_out(pooled_study: Study) -> None:
    second = pooled_study.rounds.get(number=2)
    expert = pooled_study.experts.earliest("number")
    QuantityAnswer.objects.create(
        round=second, expert=expert, question=pooled_study.quantity_questions.get(code="target"), lowest=1, best=2,
        highest=3, confidence=90,
    )  # fmt: skip
    assert len(rows("quantity_answers", pooled_study)) == 8 * 3 + 1
    pooled_study.anonymity = Study.Anonymity.STRICT
    pooled_study.save()
    for name in ("quantity_answers", "quantity_performance"):
        table = build_table(name, scope_for(pooled_study))
        assert {"pseudonym", "bloc", "day"}.isdisjoint(table.column_names)
    assert len(rows("quantity_answers", pooled_study)) == 8 * 3  # round 2 is open


def test_the_tables_are_in_the_bundle(pooled_study: Study, coordinator_a, django_capture_on_commit_callbacks) -> None:
    assert set(QUANTITY_TABLES) <= set(TABLE_NAMES) & set(BUNDLE_TABLES)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(user=coordinator_a, study=pooled_study, fmt="bundle", table="all")
    job.refresh_from_db()
    with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
        names = archive.namelist()
        for table in QUANTITY_TABLES:
            assert any(name.endswith(f"{table}.csv") for name in names), table
