"""Every kind of background job against a real worker and a real Redis that stops and comes back.

Each test starts its own redis-server on a free port (the shared one is never touched) and a real
``celery worker`` pointed at it. Kinds: aggregation, export, and the three emails (invitation, reminder,
new link). What is checked, for each:

- Redis down when the job is asked for: the caller gets a clear "queued, will run when the queue is back"
  (202 from the API, a message on the page), the row is kept, and once Redis is back the sweep runs it.
- The worker SIGKILLed in the middle of a job: the job's lease runs out and the sweep runs it again.
- The worker survives Redis dropping and returning, with and without a coalesced job waiting, and the
  reproduction of why delays are held in the database: a worker holding an ETA task exits on the drop.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from aggregation.jobs import request_aggregation, round_aggregation_rerun
from aggregation.models import AggregationRun
from coopsurvey import jobs
from coopsurvey.celery import ping
from elicitation.expert.services.link_requests import expert_link_request
from elicitation.models import EmailJob, Participation, Round
from elicitation.rounds.services.invitations import invitations_send, reminders_send
from exports.models import ExportJob
from exports.services import export_job_create
from tests.api.helpers import token_client
from tests.factories import make_round, rate_everything
from tests.reliability.queue_faults import app_pointed_at, reset_connections, wait_for, worker_on
from tests.services import _database_url_for

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUEUE_DOWN_TEXT = "the task queue cannot be reached just now"
LEASE = "3"  # seconds: a killed worker's job is noticed quickly


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the PostgreSQL test database")


@pytest.fixture
def mail_and_files(monkeypatch, tmp_path, settings):
    """The worker prints its emails to its log (its outbox is out of reach) and writes export files to tmp."""
    monkeypatch.setenv("EMAIL_URL", "console://")
    monkeypatch.setenv("EMAIL_CONSOLE_ALLOWED", "1")
    monkeypatch.setenv("EXPORTS_ROOT", str(tmp_path / "exports"))
    settings.EXPORTS_ROOT = tmp_path / "exports"


def _finished(model, pks) -> bool:
    return not model.objects.filter(pk__in=list(pks), status__in=["queued", "running"]).exists()


def _sweep_until(predicate, *, timeout: float, what: str) -> None:
    """Run the job sweep (as beat does) until ``predicate`` holds."""

    def swept() -> bool:
        jobs.sweep()
        return bool(predicate())

    wait_for(swept, timeout=timeout, what=what, every=1.0)


def test_every_kind_asked_for_while_redis_is_down_is_kept_and_runs_when_it_is_back(
    postgres_only, private_redis, mail_and_files, study_a, coordinator_a, tmp_path
):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))
    rate_everything(round_, [7, 8, 3, 9, 5])
    Participation.objects.filter(round=round_, expert__number__lte=4).update(invited_at=None)
    Participation.objects.filter(round=round_, expert__number__gt=4).update(submitted_at=None)  # to remind
    api = token_client(coordinator_a)
    page = study_a.coordinators.get()
    with app_pointed_at(private_redis.url):
        private_redis.stop()
        started = time.monotonic()

        response = api.post(
            "/api/v1/exports/", {"study": str(study_a.uuid), "format": "csv", "table": "ratings"}, format="json"
        )
        assert response.status_code == 202, response.content
        assert QUEUE_DOWN_TEXT in json.loads(response.content)["detail"]
        export = ExportJob.objects.get(uuid=json.loads(response.content)["uuid"])

        from django.test import Client

        browser = Client()
        browser.force_login(page)
        invited = browser.post(f"/studies/{study_a.uuid}/rounds/{round_.uuid}/invite/", follow=True)
        assert QUEUE_DOWN_TEXT in invited.content.decode()
        with jobs.watching_sends() as unsent:
            reminded = reminders_send(round=round_, user=coordinator_a)
        assert reminded == len(unsent) == 4
        expert = study_a.experts.get(number=1)
        with jobs.watching_sends() as unsent:
            assert expert_link_request(email=expert.email, client="198.51.100.9") == 1
        assert len(unsent) == 1
        with jobs.watching_sends() as unsent:
            round_aggregation_rerun(round=round_, user=coordinator_a)  # the round stays open for the emails
        assert unsent == [("aggregation", AggregationRun.objects.get(round=round_, trigger="operator").pk)]
        answered_in = time.monotonic() - started

        emails = EmailJob.objects.filter(expert__study=study_a)
        assert sorted(emails.values_list("kind", flat=True)) == ["invitation"] * 4 + ["new_link"] + ["reminder"] * 4
        for model in (ExportJob, EmailJob, AggregationRun):
            kept = model.objects.filter(status="queued", dispatched_at__isnull=True)
            assert kept.count() == model.objects.count() > 0, model.__name__
            assert all(error.startswith("not sent:") for error in kept.values_list("error", flat=True))
        assert answered_in < 30, f"the callers waited {answered_in:.1f} s for a dead broker"
        assert jobs.sweep() == {"aggregation": [], "export": [], "email": [], "webhook": []}, "still down: nothing sent"

        private_redis.start()
        back = time.monotonic()
        reset_connections()
        worker = worker_on(private_redis.url, tmp_path)
        worker.start()
        try:
            every = [(ExportJob, [export.pk]), (EmailJob, emails.values_list("pk", flat=True))]
            every.append((AggregationRun, AggregationRun.objects.filter(round=round_).values_list("pk", flat=True)))
            _sweep_until(
                lambda: all(_finished(model, pks) for model, pks in every), timeout=120, what="every job to run"
            )
        finally:
            worker.stop()
    _figure("Redis down, every kind asked for", callers_waited_s=answered_in, jobs=emails.count() + 2)
    _figure("Redis back, every kept job done", after_redis_back_s=time.monotonic() - back)
    assert ExportJob.objects.get(pk=export.pk).status == "done"
    assert set(emails.values_list("status", "sent")) == {("done", True)}
    assert AggregationRun.objects.get(round=round_, trigger="operator").status == "done"
    log = worker.log_path.read_text()
    assert log.count("Subject: Invitation: Study A, round 1") == 4
    assert log.count("Subject: Reminder: Study A, round 1") == 4


class TableLock:
    """An ACCESS EXCLUSIVE lock on one table, from a connection of its own: a job that reads it waits there."""

    def __init__(self, table: str) -> None:
        self.conn = psycopg.connect(_database_url_for(connection.settings_dict))
        self.conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # held until release()

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


KINDS = ["aggregation", "export", "invitation", "reminder", "new_link"]


def _prepare(kind: str, study, coordinator):
    """The data a job of ``kind`` works on; returns (the table its work waits on, a function that queues it).

    Every email kind issues a fresh personal link, so it waits on the links' table after it locked its expert.
    """
    if kind == "aggregation":
        round_ = make_round(study, status=Round.Status.CLOSED)
        rate_everything(round_, [7, 8, 3, 9, 5])

        def aggregation() -> tuple[type, int]:
            request_aggregation(round_id=round_.pk, immediate=True)
            return AggregationRun, AggregationRun.objects.get(round=round_).pk

        return "elicitation_rating", aggregation
    if kind == "export":
        rate_everything(make_round(study, status=Round.Status.CLOSED), [4, 6])

        def export() -> tuple[type, int]:
            return ExportJob, export_job_create(user=coordinator, study=study, fmt="csv", table="ratings").pk

        return "elicitation_rating", export
    round_ = make_round(study, status=Round.Status.OPEN)
    expert = study.experts.get(number=1)
    Participation.objects.filter(round=round_).update(invited_at=None)
    if kind == "reminder":  # invited, not submitted: the one expert to remind
        Participation.objects.filter(round=round_, expert=expert).update(invited_at=timezone.now(), submitted_at=None)

    def email() -> tuple[type, int]:
        if kind == "invitation":
            invitations_send(round=round_, user=coordinator, expert_ids=[expert.pk])
        elif kind == "reminder":
            assert reminders_send(round=round_, user=coordinator) == 1
        else:
            assert expert_link_request(email=expert.email, client="198.51.100.7") == 1
        return EmailJob, EmailJob.objects.get(kind=kind).pk

    return "elicitation_invitationtoken", email


def _figure(name: str, **values: object) -> None:
    """A measured figure, printed for the closing note (run with ``-s`` to see them)."""
    shown = ", ".join(
        f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}" for key, value in values.items()
    )
    print(f"\nFIGURE {name}: {shown}")


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_whose_worker_is_killed_mid_job_is_run_again_by_the_sweep(
    postgres_only, private_redis, mail_and_files, study_a, coordinator_a, tmp_path, kind
):
    """The whole worker SIGKILLed (a crashed machine): a new worker runs the job once the sweep finds it."""
    with app_pointed_at(private_redis.url), override_settings(JOBS_LEASE_SECONDS=int(LEASE)):
        first = worker_on(private_redis.url, tmp_path, JOBS_LEASE_SECONDS=LEASE)
        first.start()
        table, ask = _prepare(kind, study_a, coordinator_a)
        lock = None
        try:
            lock = TableLock(table)  # taken after the data is written: the test must not wait on itself
            model, pk = ask()
            row = model.objects.filter(pk=pk)
            wait_for(lambda: row.filter(status="running").exists(), timeout=60, what="the job to start")
            time.sleep(float(LEASE))  # it is stuck on the lock, its heartbeat renewing the lease
            assert row.get().lease_until > timezone.now(), "a live worker keeps its lease"
            first.kill()  # the whole worker, SIGKILL: no goodbye, no requeue by the worker
            killed = time.monotonic()
        finally:
            if lock is not None:
                lock.release()
        assert row.get().status == "running"
        assert jobs.sweep()[kind_of(kind)] == [], "the lease has not run out yet"
        wait_for(lambda: row.get().lease_until < timezone.now(), timeout=30, what="the dead worker's lease to end")

        second = worker_on(private_redis.url, tmp_path, JOBS_LEASE_SECONDS=LEASE)
        second.start()
        try:
            assert jobs.sweep()[kind_of(kind)] == [pk]
            wait_for(lambda: row.get().status not in {"queued", "running"}, timeout=90, what="the job to run again")
        finally:
            second.stop()
    _figure(f"worker killed, {kind}", recovered_s=time.monotonic() - killed, lease_s=LEASE)
    _assert_done_once(kind, row.get())


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_whose_pool_child_is_killed_mid_task_is_found_by_the_sweep_and_completes(
    postgres_only, private_redis, mail_and_files, study_a, coordinator_a, tmp_path, kind
):
    """Only the pool child running the task SIGKILLed (the OOM killer's way): the worker lives on and starts a
    new child; the task, acknowledged late, comes back at once but its row is still leased to the dead child,
    so nothing runs twice; once the lease has run out the sweep sends it again and the same worker runs it."""
    with app_pointed_at(private_redis.url), override_settings(JOBS_LEASE_SECONDS=int(LEASE)):
        worker = worker_on(private_redis.url, tmp_path, JOBS_LEASE_SECONDS=LEASE)
        worker.start()
        try:
            table, ask = _prepare(kind, study_a, coordinator_a)
            lock = TableLock(table)
            try:
                model, pk = ask()
                row = model.objects.filter(pk=pk)
                wait_for(lambda: row.filter(status="running").exists(), timeout=60, what="the job to start")
                child = worker.kill_pool_child()
                killed = time.monotonic()
            finally:
                lock.release()
            wait_for(lambda: child not in worker.pool_children() and worker.pool_children(), timeout=30,
                     what="the worker to start a new pool child")  # fmt: skip
            assert worker.running, "the worker itself survives its child"
            # The task comes back at once (acknowledged late); it runs again once the dead child's lease has
            # ended, by its own retry or by the sweep: on a quiet machine that can be before this line.
            _sweep_until(lambda: row.get().status not in {"queued", "running"}, timeout=90, what="the job to complete")
        finally:
            worker.stop()
    _figure(f"pool child killed, {kind}", recovered_s=time.monotonic() - killed, lease_s=LEASE)
    assert "WorkerLostError" in worker.log_path.read_text(errors="replace")
    _assert_done_once(kind, row.get())


def kind_of(kind: str) -> str:
    """The job path's kind (``coopsurvey.jobs``): the three email kinds share one."""
    return "email" if kind in ("invitation", "reminder", "new_link") else kind


def _assert_done_once(kind: str, job) -> None:
    assert (job.status, job.attempts) == ("done", 2)
    assert "worker stopped" not in job.error
    if kind_of(kind) == "email":
        assert job.sent, "the message went out once the job ran again"


def _ping_runs(worker) -> bool:
    """A task sent now is executed by the worker (read from its log: there is no result backend)."""
    task_id = ping.delay().id
    line = f"Task coopsurvey.ping[{task_id}] succeeded"
    try:
        wait_for(lambda: line in worker.log_path.read_text(errors="replace"), timeout=30, what="the ping")
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("waiting", [False, True], ids=["idle", "with-a-coalesced-job-waiting"])
def test_the_worker_survives_redis_dropping_and_returning(
    postgres_only, private_redis, study_a, tmp_path, waiting, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    rate_everything(round_, [7, 8, 3, 9, 5])
    with app_pointed_at(private_redis.url):
        worker = worker_on(private_redis.url, tmp_path)
        worker.start()
        try:
            if waiting:
                request_aggregation(round_id=round_.pk)  # a live job, held in the database for its interval
                live = AggregationRun.objects.get(round=round_)
                assert (live.status, live.dispatched_at) == ("queued", None)
            private_redis.stop()
            time.sleep(5)
            assert worker.running, worker.log_path.read_text()[-2000:]
            private_redis.start()
            back = time.monotonic()
            reset_connections()
            wait_for(lambda: "Connected to redis" in worker.log_path.read_text().split("Connection to broker lost")[-1],
                     timeout=60, what="the worker to reconnect")  # fmt: skip
            _figure(f"worker reconnects after Redis returns ({'with' if waiting else 'no'} job waiting)",
                    reconnect_s=time.monotonic() - back)  # fmt: skip
            assert worker.running
            assert _ping_runs(worker)
            if waiting:
                AggregationRun.objects.filter(pk=live.pk).update(not_before=timezone.now())  # the interval passed
                _sweep_until(lambda: _finished(AggregationRun, [live.pk]), timeout=90, what="the live job")
                assert AggregationRun.objects.get(pk=live.pk).status == "done"
        finally:
            worker.stop()


def test_why_delays_wait_in_the_database_a_worker_holding_an_eta_task_exits_when_redis_drops(
    postgres_only, private_redis, tmp_path
):
    """The issue's measured failure, kept as its reproduction: Celery's worker (5.x, Redis transport) exits
    with "Unrecoverable error: AttributeError 'NoneType' object has no attribute 'hostname'" when Redis drops
    while it holds a countdown task. The job path therefore never sends one (tests/aggregation/test_jobs.py).
    If this starts failing, Celery fixed it."""
    with app_pointed_at(private_redis.url):
        worker = worker_on(private_redis.url, tmp_path)
        worker.start()
        try:
            ping.apply_async(countdown=300)
            wait_for(lambda: "Task coopsurvey.ping" in worker.log_path.read_text(), timeout=30, what="the ETA task")
            private_redis.stop()
            wait_for(lambda: not worker.running, timeout=30, what="the worker to exit")
        finally:
            worker.stop()
    assert "Unrecoverable error: AttributeError" in worker.log_path.read_text()
