"""The aggregation job: stores every result table, names its recipe, and is idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from scipy import stats

import coopsurvey
from aggregation import runs
from aggregation.code_version import code_version
from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from aggregation.selectors import shown_runs
from aggregation.services import round_aggregate
from aggregation.tasks import aggregate_round
from elicitation.models import Rating, Round, Study
from tests.factories import change_rule, make_round, rate_everything

RESULT_MODELS = (ItemResult, CriterionAgreement, CrossBloc, AreaVerdict)


def stored_rows(round_: Round) -> dict[str, list[dict[str, Any]]]:
    """Every result row of the round's shown run without its id and run, in a stable order."""
    rows = {}
    for model in RESULT_MODELS:
        shown = model.objects.filter(run_id__in=shown_runs([round_.pk]))
        found = [model_to_dict(row, exclude=["id", "run"]) for row in shown]
        rows[model.__name__] = sorted(found, key=repr)
    return rows


def test_it_stores_one_row_per_item_and_group(closed_round: Round, panel_study: Study) -> None:
    run = round_aggregate(round_id=closed_round.pk)
    assert run.status == AggregationRun.Status.DONE
    assert run.ratings_count == Rating.objects.filter(round=closed_round).count() == 20 * 24
    items = 4 * 6
    assert ItemResult.objects.filter(round=closed_round, group="").count() == items
    assert ItemResult.objects.filter(round=closed_round).count() == items * 5  # panel + four blocs of five
    assert CriterionAgreement.objects.filter(round=closed_round).count() == 6
    assert CrossBloc.objects.filter(round=closed_round).count() == items
    assert AreaVerdict.objects.filter(round=closed_round, group="").count() == 4
    # One verdict per area for each of the four blocs of five (k = 5) too.
    assert AreaVerdict.objects.filter(round=closed_round).exclude(group="").count() == 16
    assert set(ItemResult.objects.filter(round=closed_round).values_list("run", flat=True)) == {run.pk}


def test_running_twice_gives_identical_rows(closed_round: Round) -> None:
    first_run = round_aggregate(round_id=closed_round.pk)
    first = stored_rows(closed_round)
    second_run = round_aggregate(round_id=closed_round.pk)
    assert second_run.pk != first_run.pk
    assert stored_rows(closed_round) == first
    first_run.refresh_from_db()
    second_run.refresh_from_db()
    assert ItemResult.objects.filter(run=first_run).count() == ItemResult.objects.filter(run=second_run).count() > 0
    assert (first_run.is_current, second_run.is_current) == (False, True), "appended; the newer snapshot is current"


def test_the_run_names_the_rule_version_method_and_code_version(closed_round: Round, panel_study: Study) -> None:
    run = round_aggregate(round_id=closed_round.pk)
    assert run.consensus_rule == closed_round.consensus_rule
    assert run.rule_version == 1
    assert run.quantile_method == "weibull"
    assert run.code_version == code_version()  # the package version and a hash of the analysis code
    assert run.code_version.startswith(f"{coopsurvey.__version__}+")
    row = ItemResult.objects.select_related("run").filter(round=closed_round).first()
    assert row is not None
    assert (row.run.rule_version, row.run.quantile_method) == (1, "weibull")


def test_a_later_rule_version_does_not_change_a_round_frozen_on_the_earlier_one(panel_study: Study) -> None:
    round_1 = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_1, [8, 8, 8, 9, 7, 8, 3])
    rule_1 = panel_study.current_rule()
    assert rule_1 is not None
    assert rule_1.is_frozen  # round 1's opening froze it
    run_1 = round_aggregate(round_id=round_1.pk)  # round 1's close stores its results under rule 1
    agreed_1 = ItemResult.objects.filter(round=round_1, group="", consensus=True).count()
    # After round 1 the coordinator tightens the rule: a recorded plan deviation (rule and plan version 2).
    change_rule(panel_study, reason="Round 2 asks for near-unanimity.", max_iqr=0, min_percent_in_band=95)
    round_2 = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_2, [8, 8, 8, 9, 7, 8, 3])
    run_2 = round_aggregate(round_id=round_2.pk)
    assert (run_1.rule_version, run_2.rule_version) == (1, 2)
    # Round 1's stored results are untouched by version 2 (a re-run of round 1 would now use the plan in force,
    # version 2: aggregation.plan computes every run with the study's latest plan).
    assert ItemResult.objects.filter(round=round_1, group="", consensus=True).count() == agreed_1
    assert runs.current_run(round_1.pk) == run_1
    agreed_2 = ItemResult.objects.filter(round=round_2, group="", consensus=True).count()
    assert agreed_1 > agreed_2 == 0


def test_stability_compares_with_the_previous_round(panel_study: Study) -> None:
    # 24 items and a cycle of 4 values: every expert gives item i the value cycle[i % 4]. B1 of the first
    # area moves from 6 to 7 for all twenty experts; B2 stays at 8.
    round_1 = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_1, [6, 8, 8, 9])
    round_2 = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_2, [7, 8, 8, 9])
    round_aggregate(round_id=round_2.pk)
    moved = ItemResult.objects.get(round=round_2, group="", area__code="verification", criterion__code="B1")
    assert moved.stability_pairs == 20
    assert moved.changed_share == 1.0
    assert moved.delta_cv == 0.0  # no spread in either round
    expected = stats.wilcoxon([7] * 20, [6] * 20, zero_method="wilcox")
    assert moved.wilcoxon_statistic == expected.statistic
    assert moved.wilcoxon_p == pytest.approx(expected.pvalue)
    kept = ItemResult.objects.get(round=round_2, group="", area__code="verification", criterion__code="B2")
    assert (kept.changed_share, kept.wilcoxon_p) == (0.0, 1.0)
    bloc = ItemResult.objects.get(round=round_2, group="China", area__code="verification", criterion__code="B1")
    assert bloc.stability_pairs == 5


def test_small_blocs_are_stored_suppressed(study_a: Study) -> None:
    # Study A: eight experts in four blocs of two, below k = 5: every bloc row is suppressed.
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(round_)
    round_aggregate(round_id=round_.pk)
    blocs = ItemResult.objects.filter(round=round_).exclude(group="")
    assert blocs.count() == 24 * 4
    assert not blocs.filter(suppressed=False).exists()
    assert not blocs.filter(median__isnull=False).exists()
    assert set(CrossBloc.objects.filter(round=round_).values_list("verdict", flat=True)) <= {
        "too_few_blocs",
        "no_consensus",
    }


def test_a_failure_is_recorded_and_the_old_results_stay(closed_round: Round, monkeypatch: pytest.MonkeyPatch) -> None:
    round_aggregate(round_id=closed_round.pk)
    before = stored_rows(closed_round)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("aggregation.services._insert_rows", broken)
    with pytest.raises(RuntimeError):
        round_aggregate(round_id=closed_round.pk)
    failed = AggregationRun.objects.filter(round=closed_round).order_by("-id").first()
    assert failed is not None
    assert failed.status == AggregationRun.Status.FAILED
    assert "disk full" in failed.error
    assert failed.finished_at is not None
    assert stored_rows(closed_round) == before


def test_the_task_is_idempotent_and_late_acknowledged(closed_round: Round, eager_celery: None) -> None:
    assert aggregate_round.acks_late is True
    assert aggregate_round.reject_on_worker_lost is True
    run = AggregationRun.objects.create(round=closed_round, trigger="close", requested_at=timezone.now())
    assert aggregate_round.delay(run.pk).get() == "done"
    first = stored_rows(closed_round)
    assert aggregate_round.delay(run.pk).get() == "done"  # a redelivery of the same run
    assert stored_rows(closed_round) == first
    run.refresh_from_db()
    assert (run.status, run.attempts) == (AggregationRun.Status.DONE, 1)


def test_verdicts_follow_the_ratings(panel_study: Study) -> None:
    # Every benefit rated 8 and every risk 2 by everyone: promising in every area.
    change_rule(panel_study, band="", min_percent_in_band=None)  # IQR <= 1 alone, saved before round 1 opens
    round_ = make_round(panel_study, status=Round.Status.CLOSED)
    ratings = []
    for rating in rate_everything(round_, [5]):
        rating.value = 8 if rating.criterion.kind == "benefit" else 2
        ratings.append(rating)
    Rating.objects.bulk_update(ratings, ["value"])
    round_aggregate(round_id=round_.pk)
    assert set(AreaVerdict.objects.filter(round=round_, group="").values_list("verdict", flat=True)) == {"promising"}
    assert set(CrossBloc.objects.filter(round=round_).values_list("verdict", flat=True)) == {"shared"}


def test_each_shown_row_stores_its_distribution_and_suppressed_rows_none(closed_round: Round) -> None:
    round_aggregate(round_id=closed_round.pk)
    rows = list(ItemResult.objects.filter(run_id__in=shown_runs([closed_round.pk])).select_related("criterion"))
    assert any(row.suppressed for row in rows)
    for row in rows:
        if row.suppressed:
            assert row.value_counts == []
            continue
        assert len(row.value_counts) == row.criterion.scale_max - row.criterion.scale_min + 1
        assert sum(row.value_counts) == row.n
        values = Rating.objects.filter(
            round=closed_round, area_id=row.area_id, criterion_id=row.criterion_id, value__isnull=False
        )
        if row.group:
            values = values.filter(expert__bloc=row.group)
        for offset, count in enumerate(row.value_counts):
            assert values.filter(value=row.criterion.scale_min + offset).count() == count
