"""The round-close race on a real PostgreSQL: a rating committed before the close counts,
one arriving after is refused with RoundNotOpen, and nothing accepted is lost.

The expert's rating service is written elsewhere; ``save_rating`` below follows the same
locking contract (``locks.lock_open_round`` first, inside ``transaction.atomic``).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.errors import RoundNotOpen
from elicitation.locks import lock_open_round
from elicitation.models import AuditEvent, Rating, Round
from elicitation.models.audit_chain import chain_findings
from elicitation.rounds.services.lifecycle import round_close
from tests.factories import make_round
from tests.threads import in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the close race is tested on a real PostgreSQL; set DATABASE_URL")


def save_rating(
    *,
    round_id: int,
    expert_id: int,
    area_id: int,
    criterion_id: int,
    value: int,
    hold: Callable[[], None] = lambda: None,
) -> Rating:
    """A minimal answer write under the locking contract; ``hold`` runs while the lock is held."""
    with transaction.atomic():
        lock_open_round(round_id=round_id)
        rating, _ = Rating.objects.update_or_create(
            round_id=round_id,
            expert_id=expert_id,
            area_id=area_id,
            criterion_id=criterion_id,
            defaults={"value": value, "cannot_judge": False},
        )
        if hold is not None:
            hold()
        return rating


def open_round(study):
    return make_round(study, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))


def test_a_save_committed_before_the_close_counts_and_one_after_is_refused(study_a, coordinator_a):
    round_ = open_round(study_a)
    first, second = list(study_a.experts.all()[:2])
    item = round_.items.first()
    keys = {"area_id": item.area_id, "criterion_id": item.criterion_id}
    results: dict[str, object] = {}
    saver_has_lock = threading.Event()
    closer_has_lock = threading.Event()
    times: dict[str, float] = {}

    def hold_lock() -> None:
        saver_has_lock.set()
        time.sleep(0.5)  # the closer is now waiting on the round's row lock
        times["saver_commits"] = time.monotonic()

    def early_save() -> Rating:
        return save_rating(round_id=round_.pk, expert_id=first.pk, value=7, hold=hold_lock, **keys)

    def close() -> Round:
        saver_has_lock.wait(5)
        with transaction.atomic():
            closed = round_close(round=round_, user=coordinator_a)
            times["closer_locked"] = time.monotonic()
            closer_has_lock.set()
            time.sleep(0.5)  # the late saver is now waiting on the lock
        return closed

    def late_save() -> Rating:
        closer_has_lock.wait(5)
        times["late_starts"] = time.monotonic()
        return save_rating(round_id=round_.pk, expert_id=second.pk, value=3, **keys)

    threads = [in_thread(early_save, results, "early"), in_thread(close, results, "close")]
    threads.append(in_thread(late_save, results, "late"))
    for thread in threads:
        thread.join(20)

    assert isinstance(results["early"], Rating)
    assert isinstance(results["close"], Round)
    assert isinstance(results["late"], RoundNotOpen)
    assert times["closer_locked"] >= times["saver_commits"]  # the close waited for the save
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED
    stored = list(Rating.objects.filter(round=round_).values_list("expert_id", "value"))
    assert stored == [(first.pk, 7)]


def save_through_the_service(*, round_id: int, expert_id: int, area_id: int, criterion_id: int, value: int) -> None:
    """The experts' real write path (on PostgreSQL one statement that also appends the audit event)."""
    from elicitation.expert.services.answers import AnswerInput, ratings_save
    from elicitation.models import Expert

    expert = Expert.objects.select_related("study").get(pk=expert_id)
    answer = AnswerInput(area_id=area_id, criterion_id=criterion_id, value=value)
    ratings_save(expert=expert, round_id=round_id, answers=[answer])


@pytest.mark.parametrize("save", [save_rating, save_through_the_service], ids=["contract", "service"])
def test_many_concurrent_saves_and_a_close_lose_nothing(study_a, coordinator_a, save):
    round_ = open_round(study_a)
    experts = list(study_a.experts.values_list("pk", flat=True))
    items = list(round_.items.values_list("area_id", "criterion_id"))
    accepted: list[tuple[int, int, int]] = []
    refused: list[tuple[int, int, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(experts) + 1)

    def expert_saves(expert_id: int) -> None:
        start.wait(10)
        for area_id, criterion_id in items:
            try:
                save(round_id=round_.pk, expert_id=expert_id, area_id=area_id, criterion_id=criterion_id, value=5)
            except RoundNotOpen:
                with lock:
                    refused.append((expert_id, area_id, criterion_id))
            else:
                with lock:
                    accepted.append((expert_id, area_id, criterion_id))

    def closer() -> None:
        start.wait(10)
        deadline = time.monotonic() + 10
        # Close as soon as the first save got in, in the middle of the others: waiting for more let every
        # save finish first on a loaded machine (the close's own work before its lock takes a while).
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.001)
        round_close(round=round_, user=coordinator_a)

    results: dict[str, object] = {}
    threads = [in_thread(functools.partial(expert_saves, e), results, f"expert-{e}") for e in experts]
    threads.append(in_thread(closer, results, "close"))
    for thread in threads:
        thread.join(60)

    assert not [r for r in results.values() if isinstance(r, Exception)]
    stored = set(Rating.objects.filter(round=round_).values_list("expert_id", "area_id", "criterion_id"))
    assert stored == set(accepted)  # every accepted save is kept
    assert not stored & set(refused)  # no refused save was stored
    assert len(accepted) + len(refused) == len(experts) * len(items)
    assert accepted, "no save got in before the close: the test did not exercise the race"
    # The close completes while the saves still stream: a save waiting for the study's round gate queues
    # behind the waiting close (elicitation.locks), so the saves cannot keep the close out until they are done.
    assert refused, "every save got in before the close: the close waited for the stream of saves"
    events = list(AuditEvent.objects.filter(study=study_a).values())
    assert chain_findings(events) == []  # the saves' events and the close's in one unbroken chain


def test_two_rounds_opened_at_once_one_wins_and_the_other_gets_illegal_transition(study_a, coordinator_a):
    """The check for another open round cannot see an uncommitted open; the database constraint decides."""
    from core.errors import IllegalTransition
    from elicitation.models import RoundItem
    from elicitation.rounds.services.lifecycle import round_open

    drafts = []
    for number in (1, 2):
        draft = Round.objects.create(study=study_a, number=number)
        RoundItem.objects.create(round=draft, area=study_a.areas.first(), criterion=study_a.criteria.first())
        drafts.append(draft)
    deadline = timezone.now() + dt.timedelta(days=3)
    first_opened = threading.Event()
    results: dict[str, object] = {}

    def open_first() -> Round:
        with transaction.atomic():
            opened = round_open(round=drafts[0], user=coordinator_a, deadline=deadline)
            first_opened.set()
            time.sleep(0.5)  # the second open passes its check, then waits on the constraint's index
        return opened

    def open_second() -> Round:
        first_opened.wait(5)
        return round_open(round=drafts[1], user=coordinator_a, deadline=deadline)

    threads = [in_thread(open_first, results, "first"), in_thread(open_second, results, "second")]
    for thread in threads:
        thread.join(20)

    assert isinstance(results["first"], Round)
    assert isinstance(results["second"], IllegalTransition)
    assert "open" in results["second"].message
    assert list(Round.objects.filter(study=study_a).order_by("number").values_list("status", flat=True)) == [
        Round.Status.OPEN,
        Round.Status.DRAFT,
    ]
