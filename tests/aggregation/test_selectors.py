"""Reading stored results: the latest done run, "updating…", and querysets with fixed query counts."""

from __future__ import annotations

from django.utils import timezone

from aggregation.models import AggregationRun
from aggregation.selectors import latest_run, round_results
from aggregation.services import round_aggregate
from elicitation.models import Round


def test_before_any_run_there_are_no_results(closed_round: Round) -> None:
    results = round_results(closed_round.pk)
    assert results.run is None
    assert results.as_of is None
    assert not results.updating
    assert list(results.items) == []


def test_it_returns_the_latest_done_run_and_its_rows(closed_round: Round, django_assert_num_queries) -> None:
    round_aggregate(round_id=closed_round.pk)
    run = round_aggregate(round_id=closed_round.pk)
    with django_assert_num_queries(2):  # the run, and whether a newer job is on its way
        results = round_results(closed_round.pk)
    assert results.run == run
    assert results.as_of == run.finished_at
    with django_assert_num_queries(5):  # one per table, whatever the study's size
        assert len(results.items) == 24 * 5
        assert len(results.panel_items) == 24
        assert len(results.criteria) == 6
        assert len(results.cross_bloc) == 24
        assert len(results.verdicts) == 4


def test_a_newer_queued_job_means_updating(closed_round: Round) -> None:
    round_aggregate(round_id=closed_round.pk)
    queued = AggregationRun.objects.create(round=closed_round, requested_at=timezone.now())
    results = round_results(closed_round.pk)
    assert results.updating
    assert latest_run(closed_round.pk) == queued
