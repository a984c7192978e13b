"""The one lock order of ``elicitation.locks`` on a real PostgreSQL with real threads: one expert's saves
never deadlock each other nor a coordinator's writes, and a close waiting for its lock is not overtaken by
saves that arrive after it (a stream of saves cannot starve it)."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.errors import RoundNotOpen
from elicitation.expert.services.answers import AnswerInput, area_response_save, ratings_save
from elicitation.locks import ROUND_GATE, lock_round_for_answer
from elicitation.models import AnswerRevision, AreaResponse, AuditEvent, Expert, Rating, Round
from elicitation.models.audit_chain import chain_findings
from elicitation.rounds.services.lifecycle import round_close, round_set_deadline
from elicitation.rounds.services.moderation import rationale_hide
from elicitation.setup.services.panel import expert_update
from tests.factories import make_round
from tests.threads import in_thread

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("lock order is PostgreSQL's (SQLite serialises every writer); set DATABASE_URL")


def _expert(pk: int) -> Expert:
    return Expert.objects.select_related("study").get(pk=pk)


def test_concurrent_saves_of_one_expert_never_deadlock(study_a, coordinator_a):
    """Ratings and reasons of one expert saved at once (two tabs, the keyboard's rating-then-reason), beside
    the coordinator's writes touching that expert, the round and the expert's reasons. No retry hides a
    deadlock: PostgreSQL would roll one transaction back with an error, which the threads collect."""
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=2))
    expert_id = study_a.experts.order_by("number").values_list("pk", flat=True)[0]
    items = list(round_.items.order_by("pk").values_list("area_id", "criterion_id"))
    areas = sorted({area_id for area_id, _criterion in items})
    rounds = 12
    start = threading.Barrier(5)

    def ratings(seed: int) -> str:
        rng = random.Random(seed)
        start.wait(10)
        for _ in range(rounds):
            chosen = rng.sample(items, 3)
            answers = [AnswerInput(area_id=a, criterion_id=c, value=rng.randint(1, 9)) for a, c in chosen]
            ratings_save(expert=_expert(expert_id), round_id=round_.pk, answers=answers)
        return "ratings"

    def reasons() -> str:
        start.wait(10)
        for n in range(rounds):
            area_id = areas[n % len(areas)]
            area_response_save(expert=_expert(expert_id), round_id=round_.pk, area_id=area_id, rationale=f"why {n}")
            area_response_save(expert=_expert(expert_id), round_id=round_.pk, area_id=area_id, confidence=1 + n % 5)
        return "reasons"

    def coordinator() -> str:
        start.wait(10)
        for n in range(rounds):
            expert_update(expert=_expert(expert_id), user=coordinator_a, name=f"Expert renamed {n}")
            round_set_deadline(
                round=round_, user=coordinator_a, deadline=timezone.now() + dt.timedelta(days=2, minutes=n)
            )
            for response in AreaResponse.objects.filter(expert_id=expert_id, hidden_at__isnull=True)[:1]:
                rationale_hide(response=response, user=coordinator_a, reason="off topic")
        return "coordinator"

    results: dict[str, object] = {}
    threads = [in_thread(functools.partial(ratings, seed), results, f"ratings-{seed}") for seed in (1, 2, 3)]
    threads += [in_thread(reasons, results, "reasons"), in_thread(coordinator, results, "coordinator")]
    for thread in threads:
        thread.join(120)

    assert not [thread.name for thread in threads if thread.is_alive()]
    failures = {key: repr(value) for key, value in results.items() if isinstance(value, Exception)}
    assert failures == {}
    assert len(results) == 5
    # One expert's saves queued behind each other: each revision's old value is the one it replaced.
    for area_id, criterion_id in items:
        history = list(
            AnswerRevision.objects.filter(
                round=round_, expert_id=expert_id, area_id=area_id, criterion_id=criterion_id, field="value"
            )
            .order_by("pk")
            .values_list("old_value", "new_value")
        )
        for before, after in itertools.pairwise(history):
            assert after[0] == before[1]
        rating = Rating.objects.filter(round=round_, expert_id=expert_id, area_id=area_id, criterion_id=criterion_id)
        assert [str(r.value) for r in rating] == ([history[-1][1]] if history else [])
    assert chain_findings(list(AuditEvent.chain(study_a.pk).values())) == []


def test_a_save_arriving_while_a_close_waits_queues_behind_the_close(study_a, coordinator_a):
    """A save in flight holds the study's round gate; the close waits for it; a save that arrives then waits
    behind the close (not beside the first save, as a row's FOR SHARE would let it) and is refused."""
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    first_id, late_id = study_a.experts.order_by("number").values_list("pk", flat=True)[:2]
    area_id, criterion_id = round_.items.values_list("area_id", "criterion_id")[0]
    answer = [AnswerInput(area_id=area_id, criterion_id=criterion_id, value=5)]
    in_flight, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first_save() -> str:
        with transaction.atomic():
            lock_round_for_answer(expert=_expert(first_id), round_id=round_.pk)
            in_flight.set()
            release.wait(10)
            ratings_save(expert=_expert(first_id), round_id=round_.pk, answers=answer)
        order.append("first saved")
        return "first"

    def close() -> str:
        in_flight.wait(10)
        round_close(round=round_, user=coordinator_a)
        order.append("closed")
        return "closed"

    def late_save() -> str:
        try:
            ratings_save(expert=_expert(late_id), round_id=round_.pk, answers=answer)
        except RoundNotOpen:
            order.append("late refused")
            return "refused"
        order.append("late saved")
        return "saved"

    results: dict[str, object] = {}
    threads = [in_thread(first_save, results, "first"), in_thread(close, results, "close")]
    in_flight.wait(10)
    _wait_for_waiters(1)  # the close waits for the gate
    threads.append(in_thread(late_save, results, "late"))
    _wait_for_waiters(2)  # and the late save waits too: behind the close, although the first save only shares
    assert order == []
    release.set()
    for thread in threads:
        thread.join(20)

    # Once the first save commits, its thread and the close's race to the list; the results say who got in.
    assert sorted(order) == ["closed", "first saved", "late refused"]
    assert results == {"first": "first", "close": "closed", "late": "refused"}
    stored = list(Rating.objects.filter(round=round_).values_list("expert_id", flat=True))
    assert stored == [first_id]


def _wait_for_waiters(count: int) -> None:
    """Until ``count`` sessions wait for the study's round gate (an advisory lock not granted)."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s::oid"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [ROUND_GATE],
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"fewer than {count} sessions waited for the round gate")
