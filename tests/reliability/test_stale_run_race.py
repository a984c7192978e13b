"""A job that read the ratings before the round closed, and writes after the close job: results stay right.

Runs before this fix were last-writer-wins, and this test failed on them (the held job replaced the final
results with those of 6 of the 8 experts).

The interleaving from the report, made deterministic: the test holds one job's hold lock (the PostgreSQL
advisory lock ``services.pause_while_held`` waits on, between computing and writing), so that job stops
after its read every time. Meanwhile two more experts save, the round closes, and the close job runs to the
end on a second worker process. Then the held job is let go. Whatever it does, the round's results must
equal a fresh recomputation from the database.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from aggregation import jobs, result_rows, selectors, services
from aggregation.models import AggregationRun
from aggregation.tasks import aggregate_round
from elicitation.expert.services.answers import AnswerInput, answers_save
from elicitation.models import Round
from elicitation.rounds.services.lifecycle import round_close
from tests.factories import make_round
from tests.reliability.queue_faults import wait_for
from tests.services import WorkerProcess, _database_url_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

COMPARED = ("n", "n_cannot_judge", "mean", "median", "q1", "q3", "pct_high", "consensus", "suppressed")


def _status(run_id: int) -> str:
    return AggregationRun.objects.filter(pk=run_id).values_list("status", flat=True).get()


def _plain(value: Any) -> Any:
    value = result_rows.plain_value(value)
    return round(value, 9) if isinstance(value, float) and not math.isnan(value) else value


def _stored(round_id: int) -> dict[tuple[int, int, str], tuple[Any, ...]]:
    rows = selectors.round_results(round_id).items.values("area_id", "criterion_id", "group", *COMPARED)
    return {(r["area_id"], r["criterion_id"], r["group"]): tuple(_plain(r[c]) for c in COMPARED) for r in rows}


def _recomputed(round_: Round) -> dict[tuple[int, int, str], tuple[Any, ...]]:
    results, _ = services.compute_for_round(round_)
    return {
        (int(r["area"]), int(r["criterion"]), r["group"]): tuple(_plain(r[c]) for c in COMPARED)
        for r in results.items.to_dict("records")
    }


def _save_everything(round_: Round, experts: list, value: int) -> None:
    answers = [AnswerInput(area_id=i.area_id, criterion_id=i.criterion_id, value=value) for i in round_.items.all()]
    for expert in experts:
        answers_save(expert=expert, round_id=round_.pk, answers=answers)


class HoldLock:
    """A run's hold lock, taken from a connection of the test's own."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.conn = psycopg.connect(_database_url_for(connection.settings_dict), autocommit=True)
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", [services.HOLD_NAMESPACE, run_id])

    def job_is_waiting(self) -> bool:
        row = self.conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid = %s AND objid = %s AND objsubid = 2",
            [services.HOLD_NAMESPACE, self.run_id],
        ).fetchone()
        return bool(row and row[0])

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.close()


@pytest.mark.parametrize("trigger", [AggregationRun.Trigger.RATINGS, AggregationRun.Trigger.SWEEP])
def test_a_job_held_after_its_read_while_the_round_closes_leaves_results_equal_to_a_recomputation(
    celery_worker_process, study_a, tmp_path, trigger
):
    if connection.vendor != "postgresql":
        pytest.skip("the hold lock is PostgreSQL's advisory lock")
    round_ = make_round(study_a, status=Round.Status.OPEN)
    experts = list(study_a.experts.order_by("pk"))
    _save_everything(round_, experts[:6], value=3)

    # The close job needs a worker of its own while the held job occupies the first one.
    second = WorkerProcess(celery_worker_process.env, "second-" + celery_worker_process.hostname, tmp_path / "w2.log")
    second.start()
    held = AggregationRun.objects.create(round=round_, trigger=trigger, requested_at=timezone.now())
    hold = HoldLock(held.pk)
    try:
        aggregate_round.apply_async(args=(held.pk,))
        wait_for(hold.job_is_waiting, timeout=60, what="the job to finish its read and wait on its hold lock")

        _save_everything(round_, experts[6:], value=9)  # acknowledged saves the held job did not read
        round_close(round=Round.objects.get(pk=round_.pk), user=None)
        close_runs = AggregationRun.objects.filter(round=round_, trigger=AggregationRun.Trigger.CLOSE)
        wait_for(
            lambda: close_runs.filter(status=AggregationRun.Status.DONE).exists(),
            timeout=90,
            what="the close job to store its results",
        )
        assert _stored(round_.pk) == _recomputed(round_), "the close job stored the true results"
    finally:
        hold.release()
    try:
        wait_for(lambda: _status(held.pk) not in {"queued", "running"}, timeout=60, what="the held job to end")
    finally:
        second.stop()

    assert _stored(round_.pk) == _recomputed(round_), "the held job's older snapshot replaced the final results"
    held.refresh_from_db()
    if trigger == AggregationRun.Trigger.RATINGS:
        assert held.status == AggregationRun.Status.SKIPPED, "a live job finding the round closed does nothing"
    else:
        assert held.status == AggregationRun.Status.DONE, "its rows are kept, for the record"
        assert not held.is_current, "an older snapshot never becomes current"
        assert not held.is_published
    current = AggregationRun.objects.get(round=round_, is_current=True)
    assert current.trigger == AggregationRun.Trigger.CLOSE
    assert current.is_published
    assert (current.snapshot_revision or 0) > (held.snapshot_revision or 0)
    assert current.ratings_count == (held.ratings_count or 0) + 2 * round_.items.count()
    assert jobs.stale_round_ids() == [], "the sweep finds the closed round's current run up to date"
