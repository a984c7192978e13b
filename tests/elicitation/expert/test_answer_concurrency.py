"""Answers against each other and against the round's close, on a real PostgreSQL with real threads."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from core.errors import RoundNotOpen
from elicitation.locks import lock_round, lock_round_for_answer
from elicitation.models import AnswerRevision, Rating, Round
from tests.factories import make_round, save_answer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def in_thread(target, results: list, *args) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target(*args))
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            results.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_saves_of_the_same_new_answer_at_once_give_one_rating_and_a_full_history(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.order_by("number")[0]
    item = round_.items.all()[0]
    barrier = threading.Barrier(2)

    def save(value: int) -> object:
        barrier.wait()
        return save_answer(
            expert=expert, round_id=round_.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=value
        )

    results: list = []
    threads = [in_thread(save, results, value) for value in (4, 6)]
    for thread in threads:
        thread.join(20)
    assert not [r for r in results if isinstance(r, Exception)]
    rating = Rating.objects.get()
    history = list(AnswerRevision.objects.order_by("id").values_list("old_value", "new_value"))
    assert history[0][0] is None
    assert history[1][0] == history[0][1]  # the second saw the first: nothing lost, no duplicate row
    assert str(rating.value) == history[1][1]


def test_a_save_that_waits_for_the_close_is_refused_and_not_stored(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.order_by("number")[0]
    item = round_.items.all()[0]
    locked = threading.Event()

    def close() -> str:
        with transaction.atomic():
            lock_round(round_id=round_.pk)
            locked.set()
            time.sleep(0.5)  # the save below arrives while the close holds the lock
            Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED, closed_at=timezone.now())
        return "closed"

    def save() -> object:
        locked.wait(10)
        return save_answer(
            expert=expert, round_id=round_.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5
        )

    results: list = []
    closer = in_thread(close, results)
    saver = in_thread(save, results)
    closer.join(20)
    saver.join(20)
    assert "closed" in results
    assert any(isinstance(r, RoundNotOpen) for r in results)
    assert not Rating.objects.exists()
    assert not AnswerRevision.objects.exists()


def test_saves_of_two_experts_share_the_round_while_a_close_waits_for_both(study_a):
    """Saves share the study's round gate and the round: a second expert's save does not wait for the first's
    commit, and a close (the gate exclusively) waits for both, then finds every acknowledged answer stored."""
    from elicitation.expert.services.answers import AnswerInput, ratings_save
    from elicitation.rounds.services.lifecycle import round_close

    round_ = make_round(study_a, status=Round.Status.OPEN)
    first, second = study_a.experts.order_by("number")[:2]
    item = round_.items.all()[0]
    answer = [AnswerInput(area_id=item.area_id, criterion_id=item.criterion_id, value=5)]
    first_saved, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_save() -> object:
        # A save in flight: it holds the study's round gate shared and the round FOR SHARE, as the save's lock
        # statement does, and writes its answers later in the same transaction.
        with transaction.atomic():
            lock_round_for_answer(expert=first, round_id=round_.pk)
            first_saved.set()
            release.wait(10)  # still inside the first save's transaction: its share lock is held
            ratings_save(expert=first, round_id=round_.pk, answers=answer)
        order.append("first committed")
        return "first"

    def other_save() -> object:
        first_saved.wait(10)
        ratings_save(expert=second, round_id=round_.pk, answers=answer)
        order.append("second committed")
        return "second"

    def close() -> object:
        first_saved.wait(10)
        time.sleep(0.3)
        round_close(round=Round.objects.get(pk=round_.pk), user=None)
        order.append("closed")
        return "closed"

    results: list = []
    threads = [in_thread(slow_save, results), in_thread(other_save, results), in_thread(close, results)]
    threads[1].join(5)
    assert order == ["second committed"]  # did not wait for the first expert's open transaction
    time.sleep(0.3)
    assert "closed" not in order  # the close waits for the save that still holds the round
    release.set()
    for thread in threads:
        thread.join(20)
    assert not [r for r in results if isinstance(r, Exception)]
    # The first save's commit and the close's end race to the list once the gate is free; what proves that the
    # close waited is that the first save, acknowledged after the close had asked, is stored (a save after the
    # close would have been refused: RoundNotOpen in the results).
    assert order[0] == "second committed"
    assert sorted(order[1:]) == ["closed", "first committed"]
    assert Rating.objects.filter(round=round_).count() == 2
