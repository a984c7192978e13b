"""One durable path for every background job: a row written with the change, a task sent on commit, a sweep.

Every kind of job (``KINDS``: aggregation runs, export files, emails to experts) keeps its state in a row of
its own model, which mixes in :class:`DurableJob`. The database is the queue; the broker only rings the bell:

- The caller writes the row in its own transaction and calls :func:`enqueue`; the task is sent once that
  transaction commits, so the worker sees the row. A job that must wait (a coalesced aggregation, a retry's
  back-off) has ``not_before`` set and is sent by the sweep when it is due: no worker ever holds a delayed
  (ETA) task, so Redis dropping and returning never strands one.
- A broker that cannot be reached is logged and leaves ``dispatched_at`` empty: the caller answers "queued,
  will run when the queue is back" (:func:`was_sent`), never an error, and the sweep sends it later.
- The task claims the row (:func:`run`): one conditional UPDATE, so a duplicate message does nothing. While
  it works, a heartbeat thread renews ``lease_until``; a worker killed mid-job stops renewing, and once the
  lease has run out the sweep queues the job again. Each start counts an attempt; a failure is retried with
  a doubling back-off until the kind's ``max_attempts``, then the row is ``failed`` with the reason.
- :func:`sweep` (beat, every ``JOBS_SWEEP_SECONDS``) sends what is due and never reached the broker, what
  was sent long ago and never started (a broker restarted without its data), and what lost its worker.

Task bodies are idempotent: they re-read the row and decide again, so running one twice is harmless.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from coopsurvey.job_rows import DONE, FAILED, QUEUED, RUNNING

logger = logging.getLogger(__name__)

# What a caller is told when its job was recorded but the broker could not be reached.
_unsent: ContextVar[list[tuple[str, int]] | None] = ContextVar("unsent_jobs", default=None)
QUEUE_DOWN = _("Queued: the task queue cannot be reached just now; this will run when the queue is back.")


@dataclass(frozen=True)
class JobKind:
    """How one kind of job is queued: its model, its task, how often it is tried and how long it may take."""

    name: str
    model: str  # app_label.Model
    task: str  # the dotted path of the Celery task
    max_attempts: int
    backoff_seconds: int

    def job_model(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def job_task(self) -> Any:
        """The Celery task object (imported here: the web process never imports the tasks modules otherwise)."""
        return import_string(self.task)

    def backoff(self, attempts: int) -> timedelta:
        """The pause before the next try: doubling from ``backoff_seconds``, at most half an hour."""
        return timedelta(seconds=min(self.backoff_seconds * 2 ** max(0, attempts - 1), 30 * 60))


KINDS = {
    kind.name: kind
    for kind in (
        JobKind("aggregation", "aggregation.AggregationRun", "aggregation.tasks.aggregate_round", 3, 10),
        JobKind("export", "exports.ExportJob", "exports.tasks.export_job_run_task", 3, 60),
        JobKind("email", "elicitation.EmailJob", "elicitation.tasks.send_email", 8, 30),
        JobKind("webhook", "elicitation.WebhookDelivery", "elicitation.tasks.deliver_webhook", 6, 30),
    )
}


def in_process() -> bool:
    """Tasks run in the caller's process (the demo's embedded mode, and most tests)."""
    from coopsurvey.celery import app

    return bool(app.conf.task_always_eager)


def enqueue(kind: str, pk: int) -> None:
    """Send job ``pk`` once the caller's transaction commits (call it in the transaction that wrote the row)."""
    from django.db import transaction

    transaction.on_commit(lambda: send(kind, pk), robust=True)


def time_limits(kind: str) -> dict[str, int]:
    """Celery's soft and hard time limits of the kind's task, read at send time (settings.JOB_TIME_LIMITS)."""
    soft = int(settings.JOB_TIME_LIMITS[kind])
    return {"soft_time_limit": soft, "time_limit": soft + max(10, soft // 10)}


def send(kind: str, pk: int) -> bool:
    """Hand job ``pk`` to the broker (in-process: run it now); False if the broker could not be reached.

    Never raises: a failure is logged, recorded in the row's ``error`` and left to the sweep.
    """
    spec = KINDS[kind]
    rows = spec.job_model()._default_manager.filter(pk=pk)
    # Stamped before the send, so that a task run in-process (or by a quick worker) that queues a retry is
    # not taken for sent; taken back if the broker cannot be reached.
    stamp, task_id = timezone.now(), str(uuid.uuid4())
    fields: dict[str, Any] = {"dispatched_at": stamp}
    if any(field.name == "task_id" for field in rows.model._meta.fields):
        fields["task_id"] = task_id
    rows.filter(status=QUEUED).update(**fields)
    try:
        spec.job_task().apply_async(args=(pk,), task_id=task_id, **time_limits(kind))
    except Exception as error:
        logger.exception("could not send %s job %s; it stays queued for the sweep", kind, pk)
        rows.filter(status=QUEUED, dispatched_at=stamp).update(
            dispatched_at=None, error=f"not sent: {type(error).__name__}: {error}"
        )
        watching = _unsent.get()
        if watching is not None:
            watching.append((kind, pk))
        return False
    return True


@contextmanager
def watching_sends() -> Iterator[list[tuple[str, int]]]:
    """The jobs whose send failed while the block ran (its commits included); empty: every job reached the queue.

    A view wraps the service call in it and, when the list is not empty, tells the user "queued, will run
    when the queue is back" (``QUEUE_DOWN``) instead of promising the work is under way.
    """
    failed: list[tuple[str, int]] = []
    token = _unsent.set(failed)
    try:
        yield failed
    finally:
        _unsent.reset(token)


def run(kind: str, pk: int, work: Callable[[int], object]) -> str:
    """The body of every job task: claim the row, ``work(pk)`` under a lease, then settle it. Never raises.

    ``work`` may set the row's final status itself (done, skipped, failed); if it leaves it running, it is
    done. An exception is retried after the kind's back-off until ``max_attempts``, then the job fails.
    Returns the row's status afterwards (or what stopped the claim).
    """
    from celery.exceptions import SoftTimeLimitExceeded

    spec = KINDS[kind]
    model = spec.job_model()
    rows = model._default_manager.filter(pk=pk)
    if not _claim(spec, rows):
        status = rows.values_list("status", flat=True).first()
        logger.info("%s job %s not claimed (status %s): another run has it or it is finished", kind, pk, status)
        return str(status or "missing")
    try:
        with _heartbeat(rows):
            work(pk)
    except SoftTimeLimitExceeded:
        limit = settings.JOB_TIME_LIMITS[kind]
        logger.error("%s job %s stopped at its time limit of %s s", kind, pk, limit)
        _finish(rows, FAILED, error=f"stopped: it took longer than its limit of {limit} s")
    except Exception as error:
        logger.exception("%s job %s failed", kind, pk)
        _retry_or_fail(spec, rows, f"{type(error).__name__}: {error}")
    else:
        rows.filter(status=RUNNING).update(status=DONE, finished_at=timezone.now())
    rows.update(lease_until=None)
    return str(rows.values_list("status", flat=True).get())


def _claim(spec: JobKind, rows: models.QuerySet[Any]) -> bool:
    now = timezone.now()
    lease = _lease_seconds(spec.name)
    claimable = Q(status=QUEUED) | Q(status=RUNNING, lease_until__lt=now)
    return bool(
        rows.filter(claimable, attempts__lt=spec.max_attempts).update(
            status=RUNNING,
            started_at=now,
            finished_at=None,
            lease_until=now + timedelta(seconds=lease),
            attempts=F("attempts") + 1,
            error="",
        )
    )


def _lease_seconds(kind: str) -> int:
    """Renewed by the heartbeat every third of it; in-process there is no other worker, so the whole time limit."""
    if in_process():
        return time_limits(kind)["time_limit"]
    return int(settings.JOBS_LEASE_SECONDS)


@contextmanager
def _heartbeat(rows: models.QuerySet[Any]) -> Iterator[None]:
    """Renew the running row's lease from a thread (its own connection) until the work returns."""
    if in_process():
        yield
        return
    lease = int(settings.JOBS_LEASE_SECONDS)
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(lease / 3):
                rows.filter(status=RUNNING).update(lease_until=timezone.now() + timedelta(seconds=lease))
        except Exception:
            logger.exception("the heartbeat of a job stopped")
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _finish(rows: models.QuerySet[Any], status: str, *, error: str) -> None:
    rows.update(status=status, finished_at=timezone.now(), error=error, lease_until=None)


def _retry_or_fail(spec: JobKind, rows: models.QuerySet[Any], error: str) -> None:
    attempts = rows.values_list("attempts", flat=True).get()
    if attempts >= spec.max_attempts:
        _finish(rows, FAILED, error=f"{error} (gave up after {attempts} attempts)")
        return
    later = timezone.now() + spec.backoff(attempts)
    rows.update(status=QUEUED, not_before=later, dispatched_at=None, lease_until=None, error=f"{error}; retried")


def due(model: type[models.Model], *, now: datetime) -> models.QuerySet[Any]:
    """Queued jobs the sweep sends: due, and never sent or sent so long ago that the message must be lost."""
    resend_before = now - timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)
    return model._default_manager.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=resend_before),
        status=QUEUED,
    )


def sweep(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Queue again the jobs whose worker died, then send every due job; returns the ids sent, per kind.

    Stops sending at the first broker failure: the rest wait for the next sweep.
    """
    now = now or timezone.now()
    sent: dict[str, list[int]] = {name: [] for name in KINDS}
    broker_down = False
    for spec in KINDS.values():
        model = spec.job_model()
        _requeue_lost(spec, model, now=now)
        if broker_down:
            continue
        for pk in due(model, now=now).order_by("pk").values_list("pk", flat=True)[: settings.JOBS_SWEEP_BATCH]:
            if not send(spec.name, pk):
                broker_down = True
                break
            sent[spec.name].append(pk)
    return sent


def _requeue_lost(spec: JobKind, model: type[models.Model], *, now: datetime) -> None:
    lost = model._default_manager.filter(status=RUNNING, lease_until__lt=now)
    if not lost.exists():
        return
    exhausted = lost.filter(attempts__gte=spec.max_attempts)
    for pk in exhausted.values_list("pk", flat=True):
        logger.error("%s job %s lost its worker after %s attempts; failed", spec.name, pk, spec.max_attempts)
    exhausted.update(
        status=FAILED,
        finished_at=now,
        lease_until=None,
        error=f"its worker stopped during each of {spec.max_attempts} attempts",
    )
    for pk in lost.values_list("pk", flat=True):
        logger.warning("%s job %s lost its worker (no heartbeat); queued again", spec.name, pk)
    lost.update(status=QUEUED, dispatched_at=None, lease_until=None, error="its worker stopped; queued again")
