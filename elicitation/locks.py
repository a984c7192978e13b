"""The one lock order for answers and round transitions.

Every transaction that writes an expert's answers, and every round transition (open, close, deadline,
items, messages, an erasure during a round), takes its locks in this order and never the other way:

1. **The study's round gate** (PostgreSQL: a transaction-level advisory lock on ``ROUND_GATE``, the study):
   shared for an answer, exclusive for a transition. It is a heavyweight lock, and PostgreSQL queues those
   fairly: once a close waits for it, a later save waits behind the close. Row locks do not queue so (a new
   ``FOR SHARE`` joins the current sharers past a waiting ``FOR UPDATE``), which let a stream of saves
   starve a close.
2. **The round's row** (``FOR SHARE`` for an answer, ``FOR NO KEY UPDATE OF`` the round alone for a
   transition), read after the gate so that its status is the committed one.
3. **The expert's row** (``FOR NO KEY UPDATE``): one expert's saves queue; their deactivation or erasure
   waits for a save in flight, and a save after it sees it.
4. The rows the write changes (the expert's ratings, area responses, participation).
5. **The study's audit chain** (``core.audit``), last. A rating save takes it inside its one
   data-modifying statement, right before it reads the chain's head (the database function
   ``coopsurvey_audit_chain_head``, which reads the head with a fresh snapshot once the lock is held), so
   a study's saves queue on it only for the rest of that statement; this is safe because every row that
   statement locks is the expert's own (behind step 3) or is only ``KEY SHARE``-locked by foreign keys,
   which the services here never block: they lock studies, experts, areas and criteria
   ``FOR NO KEY UPDATE``.

A live aggregation job also takes the gate exclusively, alone and for no more than the wait, before it reads
the ratings (``aggregation.jobs.wait_for_saves_in_flight``): every save that saw its run queued has then
committed.

On SQLite the settings open every transaction IMMEDIATE, which serialises writers; the gate is a no-op.
So a save either commits before the close and is in the closed round's results, or waits for the close
and is refused with ``RoundNotOpen``: never accepted and then lost, and never deadlocked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection, transaction

from core.errors import RoundNotOpen
from core.prepared import fetch_one
from elicitation.models import Expert, Round, Study
from elicitation.models.rounds import ROUND_GATE, gate_key, round_gate_take


def _require_atomic(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must run inside transaction.atomic")


def lock_round(*, round_id: int) -> Round:
    """For a transition: the study's gate exclusively, then the round's row; must run in ``transaction.atomic``.

    The study is fetched with the round but not locked (answers insert rows that refer to it).
    """
    _require_atomic("lock_round")
    if connection.vendor == "postgresql":
        round_gate_take(round_id)
    return Round.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=round_id)


def lock_open_round(*, round_id: int) -> Round:
    """Lock the round as a transition does and return it if it is open; otherwise raise ``RoundNotOpen``."""
    round_ = lock_round(round_id=round_id)
    if round_.status != Round.Status.OPEN:
        raise RoundNotOpen("This round is not open for answers.")
    return round_


@dataclass(frozen=True)
class LockedForAnswer:
    round: Round
    expert_study_id: int | None  # None: the expert row is gone
    expert_active: bool
    aggregation_interval: int  # the round's study's, as of the lock


def _round_columns() -> list[str]:
    return [str(f.column) for f in Round._meta.concrete_fields]


@functools.lru_cache(maxsize=16)
def answer_lock_sql(condition: str) -> str:
    """One statement: the study's gate shared, then the round ``FOR SHARE`` and the expert ``FOR NO KEY UPDATE``
    (with the round's study's aggregation interval and the expert's study and activity). Parameters: the
    gate's two keys, the expert's id, then ``condition``'s.

    The gate is taken in a MATERIALIZED part the rows are joined with, so it is held before any row is
    locked; the row locks then read the newest committed round and expert (a close that committed while
    this waited shows as closed).
    """
    selected = ", ".join(f'r."{column}"' for column in _round_columns())
    # Table and column names come from the models; every value is a parameter.
    return " ".join(
        [
            "WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(%s, %s) AS held),",
            "locked AS MATERIALIZED (",
            f"SELECT {selected}, s.aggregation_interval_seconds, e.study_id AS expert_study_id,",
            "(e.is_active AND e.erased_at IS NULL) AS expert_active",
            f"FROM gate, {Round._meta.db_table} r JOIN {Study._meta.db_table} s ON s.id = r.study_id",
            f"JOIN {Expert._meta.db_table} e ON e.id = %s",
            f"WHERE {condition} FOR SHARE OF r FOR NO KEY UPDATE OF e)",
            "SELECT * FROM locked",
        ]
    )


def locked_from_row(row: tuple[object, ...] | None, *, expert: Expert) -> LockedForAnswer:
    """The row of ``answer_lock_sql``: the round as locked (its study the expert's, with the aggregation
    interval as of the lock), and the expert's study and activity. Raises ``Round.DoesNotExist`` for no row;
    the caller checks the status, the study and the expert."""
    if row is None:
        raise Round.DoesNotExist
    columns = len(_round_columns())
    round_ = Round.from_db("default", [f.attname for f in Round._meta.concrete_fields], row[:columns])
    interval, expert_study_id, active = row[columns : columns + 3]
    locked = LockedForAnswer(
        round=round_,
        expert_study_id=expert_study_id,  # type: ignore[arg-type]
        expert_active=bool(active),
        aggregation_interval=interval,  # type: ignore[arg-type]
    )
    if round_.study_id == expert.study_id:
        round_.study = expert.study
        expert.study.aggregation_interval_seconds = locked.aggregation_interval  # as of the lock
    return locked


def lock_round_for_answer(*, expert: Expert, round_id: int) -> LockedForAnswer:
    """For an answer: steps 1–3 of the order, in one statement on PostgreSQL.

    Raises ``Round.DoesNotExist``; the caller checks the status, the study and the expert.
    On SQLite: the round's row (the IMMEDIATE transaction already serialises writers) and the expert's.
    """
    _require_atomic("lock_round_for_answer")
    if connection.vendor != "postgresql":
        round_ = Round.objects.select_for_update().select_related("study").get(pk=round_id)
        found = Expert.objects.filter(pk=expert.pk).values_list("study_id", "is_active", "erased_at").first()
        study_id, active = (found[0], found[1] and found[2] is None) if found else (None, False)
        return LockedForAnswer(round_, study_id, active, round_.study.aggregation_interval_seconds)
    row = fetch_one(answer_lock_sql("r.id = %s"), [ROUND_GATE, gate_key(expert.study_id), expert.pk, round_id])
    return locked_from_row(row, expert=expert)
