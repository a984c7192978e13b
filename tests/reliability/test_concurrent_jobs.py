"""Two aggregation jobs for the same round at once: each appends one whole result set, one is current.

Both jobs read and compute while the test holds the round's results lock (the PostgreSQL advisory
lock that serialises the writes) from a connection of its own, so they are certainly in flight
together; then the lock is released and they write one after the other. Each job runs in its own
thread with its own database connection, as two worker processes would.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from aggregation import services
from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from tests.reliability.queue_faults import wait_for
from tests.reliability.results import results_snapshot
from tests.reliability.run_helpers import ResultsLock, _closed_round_with_ratings
from tests.threads import in_thread

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RESULT_MODELS = (ItemResult, CriterionAgreement, CrossBloc, AreaVerdict)


def _counts(round_id: int) -> dict[str, int]:
    return {model.__name__: model.objects.filter(round_id=round_id).count() for model in RESULT_MODELS}


def test_two_jobs_for_one_round_at_once_append_whole_result_sets_and_the_newest_snapshot_is_current(study_a):
    if connection.vendor != "postgresql":
        pytest.skip("the results lock is PostgreSQL's advisory lock")
    round_ = _closed_round_with_ratings(study_a)
    services.round_aggregate(round_id=round_.pk)
    undisturbed, undisturbed_counts = results_snapshot(round_.pk), _counts(round_.pk)

    results: dict[str, object] = {}
    with ResultsLock(round_.pk) as lock:
        threads = [in_thread(lambda: services.round_aggregate(round_id=round_.pk), results, key) for key in "ab"]
        running = AggregationRun.objects.filter(round=round_, status=AggregationRun.Status.RUNNING)
        wait_for(lambda: running.count() == 2, timeout=60, what="both jobs to start")
        time.sleep(0.5)  # both have read and computed, and wait for the lock to write
        assert all(thread.is_alive() for thread in threads), "a job wrote while the lock was held"
        lock.release()
        for thread in threads:
            thread.join(timeout=60)

    assert all(isinstance(results[key], AggregationRun) for key in "ab"), results
    runs = AggregationRun.objects.filter(round=round_).order_by("pk")
    assert [run.status for run in runs] == ["done", "done", "done"]
    assert _counts(round_.pk) == {name: 3 * count for name, count in undisturbed_counts.items()}, "appended"
    assert results_snapshot(round_.pk) == undisturbed
    current = runs.get(is_current=True)
    newest = runs.order_by("-snapshot_revision", "-snapshot_read_at").first()
    assert newest is not None
    assert current.pk == newest.pk, "the newest snapshot"
    for model in RESULT_MODELS:
        rows_of = set(model.objects.filter(round=round_).values_list("run_id", flat=True))
        assert rows_of == {run.pk for run in runs}, "each run keeps one whole result set"
