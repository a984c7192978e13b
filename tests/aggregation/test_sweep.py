"""The periodic sweep re-queues rounds whose results are missing or stale, and only those."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from aggregation import jobs
from aggregation.models import AggregationRun, ItemResult
from aggregation.services import round_aggregate
from elicitation.models import Rating, Round, Study
from tests.factories import make_round, rate_everything


def test_a_closed_round_without_results_is_stale(closed_round: Round) -> None:
    assert jobs.stale_round_ids() == [closed_round.pk]


def test_a_round_aggregated_after_its_close_is_fresh(closed_round: Round) -> None:
    round_aggregate(round_id=closed_round.pk)
    assert jobs.stale_round_ids() == []


def test_a_round_last_aggregated_before_its_close_is_fresh_when_nothing_changed_since(closed_round: Round) -> None:
    round_aggregate(round_id=closed_round.pk)
    Round.objects.filter(pk=closed_round.pk).update(closed_at=timezone.now() + timedelta(seconds=1))
    assert jobs.stale_round_ids() == [], "the current run read what the database holds"


def test_a_closed_round_whose_ratings_differ_from_its_current_run_is_stale(closed_round: Round) -> None:
    round_aggregate(round_id=closed_round.pk)
    Rating.objects.filter(pk=Rating.objects.filter(round=closed_round).values("pk")[:1]).delete()
    assert jobs.stale_round_ids() == [closed_round.pk]
    round_aggregate(round_id=closed_round.pk, trigger=AggregationRun.Trigger.SWEEP)
    assert jobs.stale_round_ids() == []


def test_a_closed_round_whose_current_run_read_an_older_revision_is_stale(closed_round: Round) -> None:
    run = round_aggregate(round_id=closed_round.pk)
    assert run.snapshot_revision is not None
    AggregationRun.objects.filter(pk=run.pk).update(snapshot_revision=run.snapshot_revision - 1)
    assert jobs.stale_round_ids() == [closed_round.pk]


def test_an_open_round_with_newer_ratings_is_stale(panel_study: Study) -> None:
    round_ = make_round(panel_study, status=Round.Status.OPEN)
    rate_everything(round_)
    round_aggregate(round_id=round_.pk)
    assert jobs.stale_round_ids() == []
    rating = Rating.objects.filter(round=round_).first()
    assert rating is not None
    rating.value = 1
    rating.save()  # updated_at moves past the run's ratings_as_of
    assert jobs.stale_round_ids() == [round_.pk]


def test_drafts_and_rounds_without_ratings_are_left_alone(panel_study: Study) -> None:
    make_round(panel_study, status=Round.Status.CLOSED)
    make_round(panel_study, status=Round.Status.DRAFT)
    assert jobs.stale_round_ids() == []


def test_a_round_with_a_job_queued_or_running_is_left_to_that_job(closed_round: Round) -> None:
    run = AggregationRun.objects.create(round=closed_round, requested_at=timezone.now())
    assert jobs.stale_round_ids() == [], "queued, even never sent: the job sweep sends it"
    AggregationRun.objects.filter(pk=run.pk).update(status=AggregationRun.Status.RUNNING)
    assert jobs.stale_round_ids() == [], "running: a lost worker is the job sweep's (its lease runs out)"
    AggregationRun.objects.filter(pk=run.pk).update(status=AggregationRun.Status.FAILED)
    assert jobs.stale_round_ids() == [closed_round.pk]


def test_the_sweep_recomputes_the_stale_rounds(
    closed_round: Round, panel_study: Study, eager_celery: None, django_capture_on_commit_callbacks
) -> None:
    fresh = make_round(panel_study, status=Round.Status.OPEN)
    rate_everything(fresh)
    round_aggregate(round_id=fresh.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.sweep() == [closed_round.pk]
    run = AggregationRun.objects.get(round=closed_round)
    assert (run.status, run.trigger) == (AggregationRun.Status.DONE, AggregationRun.Trigger.SWEEP)
    assert ItemResult.objects.filter(round=closed_round).exists()
    assert jobs.sweep() == []


def test_the_sweep_is_scheduled() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["aggregation-sweep"]
    assert entry["task"] == "aggregation.sweep_stale_rounds"
    assert entry["schedule"] == pytest.approx(300.0)


def test_a_plan_deviation_after_a_round_was_aggregated_makes_its_results_stale(panel_study: Study) -> None:
    """Found while building the factories through the services: a deviation that counts every saved answer,
    recorded after round 1's results were stored, left them computed under version 1 for good, while the
    exports (``counted_ratings``) already read version 2 and the bundle's recompute.py disagreed with them.
    The sweep now re-runs such a round; the new run appends under the new version and the old one stays."""
    from elicitation.models import ConsensusRule, Participation
    from elicitation.rounds.services.lifecycle import round_close
    from elicitation.setup.services.rules import RULE_PARTS, rule_save
    from tests.factories import open_round

    round_ = open_round(panel_study)
    rate_everything(round_, [7, 8, 8, 9, 3, 8, 2, 7, 8, 3, 8, 8, 6])
    Participation.objects.filter(round=round_, expert__number__lte=5).update(submitted_at=None)
    round_close(round=round_, user=None)
    first = round_aggregate(round_id=round_.pk)
    assert first.plan_version == 1
    assert jobs.stale_round_ids() == []

    current = panel_study.consensus_rules.order_by("-version").first()
    parts = {name: getattr(current, name) for name in RULE_PARTS} | {"inclusion": ConsensusRule.Inclusion.ALL_SAVED}
    rule_save(study=panel_study, user=None, reason="Count every saved answer.", **parts)
    assert jobs.stale_round_ids() == [round_.pk], "computed under version 1, version 2 is in force"

    second = round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.SWEEP)
    assert second.plan_version == 2
    assert jobs.stale_round_ids() == []
    first.refresh_from_db()
    assert not first.is_current, "the new run is the current one"
    assert first.status == AggregationRun.Status.DONE, "the earlier run is kept"
    counted = {run.pk: sum(ItemResult.objects.filter(run=run).values_list("n", flat=True)) for run in (first, second)}
    assert counted[second.pk] > counted[first.pk], "the unsubmitted experts' answers count under version 2"
