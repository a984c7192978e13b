"""The study's audit-chain lock in a rating save: taken inside the save's statement, as late as it can be, and
the head read after it is the newest (migration 0024's function, docs/security.md). Real threads on PostgreSQL.

A save's lock statement (the round gate, the round, the expert) no longer takes the chain's lock, so two
experts' saves of one study do not queue from one's lock statement to its commit; and a save whose statement
waited for the lock still chains its event after the event committed meanwhile, which a plain sub-select
(reading the head as of the statement's start) would not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from core.audit import audit
from core.prepared import fetch_one
from elicitation.expert.services.answers import AnswerInput, ratings_save
from elicitation.expert.services.rating_writes import RoundWanted, lock_statement
from elicitation.models import AuditEvent, Rating, Round
from elicitation.models.audit_chain import chain_findings
from tests.factories import make_round
from tests.threads import in_thread, read_committed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the single-statement save is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

WAIT = 20  # seconds: far above any save, so only a real queue makes a thread late


def _answer(round_: Round, value: int) -> list[AnswerInput]:
    item = round_.items.order_by("pk")[0]
    return [AnswerInput(area_id=item.area_id, criterion_id=item.criterion_id, value=value)]


def _waiting_on_advisory_locks() -> int:
    rows = read_committed(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' "
        "AND datname = current_database()"
    )
    return int(rows[0][0])


@contextmanager
def _open_transaction(hold: Callable[[], object]) -> Iterator[dict[str, object]]:
    """Run ``hold`` in a transaction of its own, in a thread, and keep that transaction open (its locks held,
    its writes uncommitted) until the block ends. ``results["held"]`` is what ``hold`` returned."""
    holding, release = threading.Event(), threading.Event()

    def run() -> object:
        with transaction.atomic():
            value = hold()
            holding.set()
            release.wait(WAIT)
        return value

    results: dict[str, object] = {}
    thread = in_thread(run, results, "held")
    try:
        assert holding.wait(WAIT), results.get("held")
        yield results
    finally:
        release.set()
        thread.join(WAIT)


def test_a_save_does_not_queue_behind_another_experts_lock_statement(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    first, second = study_a.experts.order_by("number")[:2]
    # What a save's lock statement takes, held open: the gate shared, the round, its expert (and, before the
    # chain's lock moved into the save statement, the chain, which made every other save of the study wait).
    lock = lock_statement(expert=first, where=RoundWanted(round_id=round_.pk))
    with _open_transaction(lambda: fetch_one(*lock)) as results:
        saver = in_thread(
            lambda: ratings_save(expert=second, round_id=round_.pk, answers=_answer(round_, 7)), results, "save"
        )
        saver.join(WAIT / 2)
        assert not saver.is_alive(), "the second expert's save waited for the first one's transaction"
    assert not isinstance(results["held"], Exception), results["held"]
    assert not isinstance(results["save"], Exception), results["save"]
    assert Rating.objects.get(expert=second).value == 7
    assert chain_findings(list(AuditEvent.chain(study_a.pk).values())) == []


def test_a_save_that_waits_for_the_chain_chains_after_the_event_committed_meanwhile(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.order_by("number")[0]
    # The model takes the chain's lock and appends; the event stays uncommitted until the block ends.
    with _open_transaction(lambda: audit(action="test.held", study=study_a, target="held").pk) as results:
        saver = in_thread(
            lambda: ratings_save(expert=expert, round_id=round_.pk, answers=_answer(round_, 5)), results, "save"
        )
        deadline = time.monotonic() + WAIT
        while _waiting_on_advisory_locks() == 0:  # the save's statement has begun, and waits for the chain
            assert time.monotonic() < deadline, "the save never waited for the chain's lock"
            time.sleep(0.02)
    saver.join(WAIT)
    assert not isinstance(results["save"], Exception), results["save"]
    assert isinstance(results["held"], int), results["held"]
    held = AuditEvent.objects.get(pk=results["held"])
    saved = AuditEvent.objects.get(study=study_a, action="answers.saved")
    assert (saved.sequence, saved.previous_hash) == (held.sequence + 1, held.hash)
    assert chain_findings(list(AuditEvent.chain(study_a.pk).values())) == []
