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

import pytest
from django.db import connection, transaction

from core.audit import audit
from elicitation.expert.services.answers import AnswerInput, ratings_save
from elicitation.expert.services.rating_writes import RoundWanted, lock_round_shared
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


def test_a_save_does_not_queue_behind_another_experts_lock_statement(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    first, second = study_a.experts.order_by("number")[:2]
    holding, release = threading.Event(), threading.Event()

    def hold_the_first_experts_locks() -> str:
        # What a save holds between its two statements: the gate shared, the round, its expert.
        with transaction.atomic():
            lock_round_shared(expert=first, where=RoundWanted(round_id=round_.pk))
            holding.set()
            release.wait(WAIT)
        return "released"

    results: dict[str, object] = {}
    holder = in_thread(hold_the_first_experts_locks, results, "holder")
    try:
        assert holding.wait(WAIT)
        saver = in_thread(
            lambda: ratings_save(expert=second, round_id=round_.pk, answers=_answer(round_, 7)), results, "save"
        )
        saver.join(WAIT / 2)
        assert not saver.is_alive(), "the second expert's save waited for the first one's transaction"
    finally:
        release.set()
        holder.join(WAIT)
    assert results["holder"] == "released"
    assert not isinstance(results["save"], Exception), results["save"]
    assert Rating.objects.get(expert=second).value == 7
    assert chain_findings(list(AuditEvent.chain(study_a.pk).values())) == []


def test_a_save_that_waits_for_the_chain_chains_after_the_event_committed_meanwhile(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.order_by("number")[0]
    holding, release = threading.Event(), threading.Event()

    def write_an_event_and_wait() -> int:
        with transaction.atomic():  # the model takes the chain's lock and appends, uncommitted until release
            event = audit(action="test.held", study=study_a, target="held")
            holding.set()
            release.wait(WAIT)
        return event.pk

    results: dict[str, object] = {}
    writer = in_thread(write_an_event_and_wait, results, "writer")
    try:
        assert holding.wait(WAIT)
        saver = in_thread(
            lambda: ratings_save(expert=expert, round_id=round_.pk, answers=_answer(round_, 5)), results, "save"
        )
        deadline = time.monotonic() + WAIT
        while _waiting_on_advisory_locks() == 0:  # the save's statement has begun, and waits for the chain
            assert time.monotonic() < deadline, "the save never waited for the chain's lock"
            time.sleep(0.02)
    finally:
        release.set()
        writer.join(WAIT)
    saver.join(WAIT)
    assert not isinstance(results["save"], Exception), results["save"]
    assert isinstance(results["writer"], int), results["writer"]
    held = AuditEvent.objects.get(pk=results["writer"])
    saved = AuditEvent.objects.get(study=study_a, action="answers.saved")
    assert (saved.sequence, saved.previous_hash) == (held.sequence + 1, held.hash)
    assert chain_findings(list(AuditEvent.chain(study_a.pk).values())) == []
