"""End to end: closing a round queues a job that a real Celery worker runs against PostgreSQL."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from aggregation.jobs import request_aggregation
from aggregation.models import AggregationRun, AreaVerdict, CrossBloc, ItemResult
from aggregation.services import compute_for_round
from elicitation.models import Round
from tests.factories import make_experts, make_round, make_study, rate_everything


def wait_for_run(round_: Round, *, timeout: float = 90) -> AggregationRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = AggregationRun.objects.filter(round=round_).order_by("-id").first()
        if run is not None and run.is_finished:
            return run
        time.sleep(0.3)
    raise AssertionError(f"no finished aggregation run for {round_} within {timeout} s")


@pytest.mark.services
def test_a_worker_aggregates_a_closed_round_from_postgresql(celery_worker_process) -> None:
    study = make_study(title="End to end")
    make_experts(study, 20)
    round_ = make_round(study, status=Round.Status.CLOSED)
    rate_everything(round_, [7, 8, 8, 9, None, 8, 2, 7, 8, 3, 8, 8, 6])

    request_aggregation(round_id=round_.pk, immediate=True)  # what closing the round does (autocommit here)

    run = wait_for_run(round_)
    assert run.status == AggregationRun.Status.DONE, run.error
    assert run.trigger == AggregationRun.Trigger.CLOSE
    assert run.dispatched_at is not None
    assert run.started_at is not None
    assert run.rule_version == 1
    assert run.ratings_count == 480
    assert ItemResult.objects.filter(round=round_, group="").count() == 24
    assert CrossBloc.objects.filter(round=round_).count() == 24
    assert AreaVerdict.objects.filter(round=round_, group="").count() == 4
    assert (run.attempts, run.lease_until) == (1, None)
    # The worker's main process logs success just after the run is stored: poll the log briefly.
    succeeded = f"Task aggregation.aggregate_round[{run.task_id}] succeeded"
    deadline = time.monotonic() + 15
    while succeeded not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert succeeded in celery_worker_process.log_path.read_text()

    # The worker's numbers are the ones this process computes from the same rows.
    expected, _ = compute_for_round(Round.objects.select_related("study", "consensus_rule").get(pk=round_.pk))
    panel = expected.items[expected.items["group"] == ""].set_index(["area", "criterion"])
    for stored in ItemResult.objects.filter(round=round_, group=""):
        row: Any = panel.loc[(stored.area_id, stored.criterion_id)]
        assert stored.n == row["n"]
        assert stored.median == row["median"]
        assert stored.consensus == row["consensus"]
        assert stored.iqr is not None
        assert math.isclose(stored.iqr, row["iqr"])
