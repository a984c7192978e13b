"""The seam between elicitation and aggregation: ask for a round's results to be (re)computed.

Every aggregation is an ``AggregationRun`` row on the project's one durable job path (``coopsurvey.jobs``):
sent after the caller's commit, swept when the broker was down or the worker died, retried a bounded
number of times. Nothing here ever raises into the caller's request.

- ``immediate=True`` (a round closed, an operator's re-run) sends a job at once.
- Otherwise (ratings arrived in an open round) requests are coalesced to one job per round and
  ``Study.aggregation_interval_seconds``: an atomic ``cache.add`` of a per-round key (Redis SET NX) lets the
  first request of an interval through (with Redis down, the database alone decides), and that one records
  a run that waits *in the database* until the interval has passed (``not_before``); the job sweep sends it
  then. No worker ever holds a delayed task, so Redis dropping and returning strands nothing. The job
  releases the key when it starts, so a rating that commits after it began reading asks for the next job.
- In-process (the demo: tasks eager, SQLite) a save never waits for an aggregation: the coalesced run is
  recorded and runs on the next read of the round's results (:func:`run_due_in_process`).
- A live job that finds the round closed, or the stored current run up to date with the ratings, does
  nothing (it is *skipped*): the close job stores the final results.

:func:`sweep` (the periodic task ``aggregation.sweep_stale_rounds``) queues rounds whose results are missing
or stale and have no job waiting: rounds, open or closed, without a current run or whose current run's
snapshot (highest rating revision, rating count, newest rating change; ``aggregation.runs``) differs from
what the database holds now, or whose current run computed under another analysis plan than the study's
latest version (a deviation recorded after the run: the re-run appends a run under the new version, as
docs/analysis-plan.md says, so results, feedback and exports agree on whose answers count).
Jobs that never reached the broker, or lost their worker, are the job sweep's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation import runs as runs_module
from aggregation.models import AggregationRun
from coopsurvey import jobs
from core.audit import audit
from core.errors import IllegalTransition
from elicitation.models import AnalysisPlan, Rating, Round
from elicitation.models.rounds import round_gate_take

logger = logging.getLogger(__name__)

IN_FLIGHT = [AggregationRun.Status.QUEUED, AggregationRun.Status.RUNNING]
# Rounds with a coalesced live run waiting for a read, in this process (tasks in-process only).
_due_in_process: set[int] = set()


def coalescing_key(round_id: int) -> str:
    return f"aggregation:round:{round_id}:scheduled"


def request_aggregation(*, round_id: int, immediate: bool = False, interval: int | None = None) -> None:
    """Queue aggregation of ``round_id`` after the current transaction commits (never raises).

    ``interval``: the study's ``aggregation_interval_seconds`` when the caller has it at hand (saves a query).
    """
    trigger = AggregationRun.Trigger.CLOSE if immediate else AggregationRun.Trigger.RATINGS
    transaction.on_commit(
        lambda: _request_now(round_id, immediate=immediate, trigger=trigger, interval=interval), robust=True
    )


def release_coalescing(round_id: int) -> None:
    try:
        cache.delete(coalescing_key(round_id))
    except Exception:
        logger.warning("could not release the coalescing key of round %s (cache down)", round_id, exc_info=True)


def _request_now(round_id: int, *, immediate: bool, trigger: str, interval: int | None = None) -> None:
    try:
        if immediate:
            send(round_id, trigger=trigger)
            return
        if interval is None:
            interval = (
                Round.objects.filter(pk=round_id).values_list("study__aggregation_interval_seconds", flat=True).first()
            )
        if interval is None:
            return  # the round is gone
        if _first_of_interval(round_id, interval):
            _queue_live(round_id, interval)
    except Exception:
        logger.exception("could not request aggregation of round %s", round_id)


def _first_of_interval(round_id: int, interval: int) -> bool:
    try:
        return bool(cache.add(coalescing_key(round_id), 1, timeout=max(1, interval)))
    except Exception:  # noqa: BLE001 - a cache that is down must not stop the job; the database decides
        logger.warning("the cache is down: round %s's aggregation is coalesced in the database alone", round_id)
        return True


def _queue_live(round_id: int, interval: int) -> AggregationRun | None:
    """Record the interval's live run, to be sent by the job sweep when due; one waits per round at most."""
    waiting = AggregationRun.objects.filter(
        round_id=round_id, trigger=AggregationRun.Trigger.RATINGS, status=AggregationRun.Status.QUEUED
    )
    if waiting.exists():
        return None
    now = timezone.now()
    in_process = jobs.in_process()
    run = AggregationRun.objects.create(
        round_id=round_id,
        trigger=AggregationRun.Trigger.RATINGS,
        requested_at=now,
        not_before=now if in_process else now + timedelta(seconds=interval),
    )
    if in_process:
        _due_in_process.add(round_id)
    return run


def send(round_id: int, *, trigger: str) -> AggregationRun:
    """Record a queued run and send it now (after commit when inside a transaction); never raises."""
    run = AggregationRun.objects.create(round_id=round_id, trigger=trigger, requested_at=timezone.now())
    jobs.enqueue("aggregation", run.pk)
    return run


def run_due_in_process(round_id: int) -> None:
    """Tasks in-process: run the round's coalesced live aggregation now, on the read that wants its results.

    Saves only record the run (they never wait for an aggregation); the dashboard's next read computes it,
    once for all the saves since the last read. Costs nothing when no save came in since.
    """
    if round_id not in _due_in_process:
        return
    _due_in_process.discard(round_id)
    waiting = AggregationRun.objects.filter(
        round_id=round_id, trigger=AggregationRun.Trigger.RATINGS, status=AggregationRun.Status.QUEUED
    )
    for pk in waiting.values_list("pk", flat=True):
        jobs.send("aggregation", pk)


def run_job(run_id: int) -> None:
    """The body of the aggregation task: a live job with nothing new to do stops here, else compute the round."""
    from aggregation import services

    run = AggregationRun.objects.select_related("round").get(pk=run_id)
    if run.trigger == AggregationRun.Trigger.RATINGS:
        wait_for_saves_in_flight(run.round_id)
    release_coalescing(run.round_id)  # ratings arriving from now on need a new job
    reason = _nothing_new(run) if run.trigger == AggregationRun.Trigger.RATINGS else None
    if reason:
        logger.info("aggregation run %s of round %s skipped: %s", run.pk, run.round_id, reason)
        AggregationRun.objects.filter(pk=run.pk).update(
            status=AggregationRun.Status.SKIPPED, finished_at=timezone.now(), error=reason
        )
        return
    services.round_aggregate(round_id=run.round_id, run_id=run.pk, trigger=run.trigger)


def wait_for_saves_in_flight(round_id: int) -> None:
    """Wait until every save in flight in the round's study has committed: take the study's round gate
    exclusively (``elicitation.locks``: saves hold it shared from their lock to their commit) and let go.

    A save on PostgreSQL asks nothing of the cache when its statement sees this live run still queued
    (``rating_writes``: the run will read it). The run is running by now (its claim committed), so a save
    that saw it queued took its snapshot before that and holds the gate until it commits: waiting for the
    gate here makes the read after it see every such save. Saves that see the run running queue the next
    one. The gate queues fairly, so a stream of saves cannot starve this wait; the saves behind it wait
    only as long as the saves before it take to commit.
    """
    if connection.vendor != "postgresql":
        return  # SQLite opens every writing transaction IMMEDIATE: no save is in flight while this runs
    with transaction.atomic():
        round_gate_take(round_id)


def _nothing_new(run: AggregationRun) -> str | None:
    """Why a live job need not read the ratings: the round closed, or the current run read what is there now."""
    if run.round.status == Round.Status.CLOSED:
        return "the round is closed: its close job stores the final results"
    current = AggregationRun.objects.filter(round_id=run.round_id, is_current=True).first()
    stored = runs_module.run_snapshot(current) if current is not None else None
    if current is None or stored is None:
        return None
    now = runs_module.database_snapshots([run.round_id]).get(run.round_id)
    if now is not None and stored.matches(now):
        return f"run {current.pk} already holds the results of these ratings"
    return None


@transaction.atomic
def round_aggregation_rerun(*, round: Round, user: AbstractBaseUser | AnonymousUser | None) -> None:
    """An operator's re-run of a round's aggregation: audited and recorded now, sent once this transaction commits.

    For results an operator doubts (a failed run, a fix deployed); a draft has no ratings to aggregate.
    A broker that is down leaves the job queued for the sweep.
    """
    if round.status == Round.Status.DRAFT:
        message = _("Round %(number)d is a draft: it has no answers to aggregate.") % {"number": round.number}
        raise IllegalTransition(message)
    audit(action="aggregation.rerun", study=round.study, user=user, target=f"round {round.number}", round=round.number)
    send(round.pk, trigger=AggregationRun.Trigger.OPERATOR)


def stale_round_ids() -> list[int]:
    """Rounds (not drafts) with ratings whose results are missing or stale, and no job queued or running."""
    in_flight = AggregationRun.objects.filter(round=OuterRef("pk"), status__in=IN_FLIGHT)
    latest_plan = AnalysisPlan.objects.filter(study_id=OuterRef("study_id")).order_by("-version")
    rounds = list(
        Round.objects.exclude(status=Round.Status.DRAFT)
        .annotate(
            has_ratings=Exists(Rating.objects.filter(round=OuterRef("pk"))),
            in_flight=Exists(in_flight),
            plan_sha256=Subquery(latest_plan.values("content_sha256")[:1]),
        )
        .filter(has_ratings=True, in_flight=False)
        .values("id", "has_ratings", "in_flight", "plan_sha256")
    )
    checked = [row["id"] for row in rounds]
    current = {run.round_id: run for run in AggregationRun.objects.filter(round_id__in=checked, is_current=True)}
    in_database = runs_module.database_snapshots(current)
    return [row["id"] for row in rounds if _is_stale(row, current.get(row["id"]), in_database.get(row["id"]))]


def _is_stale(row: Mapping[str, Any], current: AggregationRun | None, in_database: runs_module.Snapshot | None) -> bool:
    if current is None:
        return True
    if row["plan_sha256"] and current.plan_sha256 != row["plan_sha256"]:
        return True  # computed under an earlier plan version: a deviation since changes what counts
    stored = runs_module.run_snapshot(current)
    # Open or closed, the current run must have read what the database holds; after the close this catches
    # a late job's results and anything that changed the ratings without a job.
    return stored is None or in_database is None or not stored.matches(in_database)


def sweep() -> list[int]:
    """Queue a job for every stale round (see :func:`stale_round_ids`); returns their ids."""
    round_ids = stale_round_ids()
    for round_id in round_ids:
        send(round_id, trigger=AggregationRun.Trigger.SWEEP)
    return round_ids
