"""The seam between elicitation and aggregation: ask for a round's results to be (re)computed.

Elicitation calls :func:`request_aggregation` after a round closes (``immediate=True``) and after ratings
arrive in an open round (coalesced). Nothing here ever raises into the caller's request:

- The job is sent only after the caller's transaction commits (``transaction.on_commit``), so the worker
  sees the ratings that caused it.
- ``immediate=True`` always sends a job at once.
- Otherwise requests are coalesced to at most one job per ``Study.aggregation_interval_seconds`` per round:
  an atomic ``cache.add`` of a per-round key (Redis SET NX) lets only the first request of an interval
  through; that one sends the job with ``countdown`` = the interval, so it sees every rating of the burst.
  The task deletes the key when it starts, so a rating that commits after it began reading asks for the
  next job instead of being lost.
- Every job sent has an ``AggregationRun`` (status queued). If the broker cannot be reached, the failure is
  logged, the run stays queued without ``dispatched_at`` (the round is *pending*), the coalescing key is
  released, and :func:`sweep` re-sends it later.

:func:`sweep` (the periodic task ``aggregation.sweep_stale_rounds``) re-queues rounds whose results are
missing or stale: pending runs never sent, runs queued or running for longer than ``STUCK_AFTER``, and
rounds, open or closed, without a current run or whose current run's snapshot (highest rating revision,
rating count, newest rating change; ``aggregation.runs``) differs from what the database holds now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation import runs as runs_module
from aggregation.models import AggregationRun
from core.audit import audit
from core.errors import IllegalTransition
from elicitation.models import Rating, Round

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=15)


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
        logger.exception("could not release the coalescing key of round %s", round_id)


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
        if not cache.add(coalescing_key(round_id), 1, timeout=max(1, interval)):
            return  # a job is already scheduled for this interval
        send(round_id, trigger=trigger, countdown=interval)
    except Exception:
        logger.exception("could not request aggregation of round %s", round_id)


def send(round_id: int, *, trigger: str, countdown: int = 0) -> AggregationRun | None:
    """Record a queued run and hand the task to the broker; on failure the run stays pending (never raises)."""
    from aggregation.tasks import aggregate_round

    run = AggregationRun.objects.create(round_id=round_id, trigger=trigger, requested_at=timezone.now())
    try:
        options: dict[str, Any] = {"countdown": countdown} if countdown else {}
        result = aggregate_round.apply_async(args=(round_id,), kwargs={"run_id": run.pk}, **options)
    except Exception as error:
        run.refresh_from_db()
        if run.status == AggregationRun.Status.QUEUED:  # the broker failed, not an eager run of the task
            logger.exception("could not send aggregation of round %s; left pending for the sweep", round_id)
            AggregationRun.objects.filter(pk=run.pk).update(error=f"not sent: {type(error).__name__}: {error}")
            release_coalescing(round_id)
        return run
    AggregationRun.objects.filter(pk=run.pk, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now(), task_id=result.id or ""
    )
    return run


@transaction.atomic
def round_aggregation_rerun(*, round: Round, user: AbstractBaseUser | AnonymousUser | None) -> None:
    """An operator's re-run of a round's aggregation: audited now, the job sent once this transaction commits.

    For results an operator doubts (a failed run, a fix deployed); a draft has no ratings to aggregate.
    The job is recorded and sent like any other (a broker that is down leaves it pending for the sweep).
    """
    if round.status == Round.Status.DRAFT:
        message = _("Round %(number)d is a draft: it has no answers to aggregate.") % {"number": round.number}
        raise IllegalTransition(message)
    audit(action="aggregation.rerun", study=round.study, user=user, target=f"round {round.number}", round=round.number)
    round_id = round.pk
    transaction.on_commit(
        lambda: _request_now(round_id, immediate=True, trigger=AggregationRun.Trigger.OPERATOR), robust=True
    )


def stale_round_ids(*, now: datetime | None = None) -> list[int]:
    """Rounds (not drafts) whose results are missing, stale, or whose job was lost."""
    now = now or timezone.now()
    runs = AggregationRun.objects.filter(round=OuterRef("pk"))
    in_flight = runs.filter(
        Q(status=AggregationRun.Status.QUEUED, dispatched_at__isnull=False) | Q(status=AggregationRun.Status.RUNNING),
        requested_at__gte=now - STUCK_AFTER,
    )
    pending = runs.filter(status=AggregationRun.Status.QUEUED, dispatched_at__isnull=True)
    rounds = list(
        Round.objects.exclude(status=Round.Status.DRAFT)
        .annotate(
            has_ratings=Exists(Rating.objects.filter(round=OuterRef("pk"))),
            in_flight=Exists(in_flight),
            pending=Exists(pending),
        )
        .values("id", "has_ratings", "in_flight", "pending")
    )
    checked = [row["id"] for row in rounds if not row["pending"] and not row["in_flight"] and row["has_ratings"]]
    current = {run.round_id: run for run in AggregationRun.objects.filter(round_id__in=checked, is_current=True)}
    in_database = runs_module.database_snapshots(current)
    return [row["id"] for row in rounds if _is_stale(row, current.get(row["id"]), in_database.get(row["id"]))]


def _is_stale(row: Mapping[str, Any], current: AggregationRun | None, in_database: runs_module.Snapshot | None) -> bool:
    if row["pending"]:
        return True  # a job that never reached the broker
    if row["in_flight"] or not row["has_ratings"]:
        return False
    if current is None:
        return True
    stored = runs_module.run_snapshot(current)
    # Open or closed, the current run must have read what the database holds; after the close this catches
    # a late job's results and anything that changed the ratings without a job.
    return stored is None or in_database is None or not stored.matches(in_database)


def sweep() -> list[int]:
    """Re-send every stale round (see :func:`stale_round_ids`); pending runs are superseded by the new one."""
    now = timezone.now()
    round_ids = stale_round_ids(now=now)
    for round_id in round_ids:
        runs = AggregationRun.objects.filter(round_id=round_id)
        runs.filter(status=AggregationRun.Status.QUEUED, dispatched_at__isnull=True).update(
            status=AggregationRun.Status.FAILED, finished_at=now, error="not sent; superseded by the sweep"
        )
        runs.filter(
            status__in=[AggregationRun.Status.QUEUED, AggregationRun.Status.RUNNING], requested_at__lt=now - STUCK_AFTER
        ).update(
            status=AggregationRun.Status.FAILED, finished_at=now, error="lost: no result in time; re-sent by the sweep"
        )
        send(round_id, trigger=AggregationRun.Trigger.SWEEP)
    return round_ids
