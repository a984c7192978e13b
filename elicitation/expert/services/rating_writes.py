"""Saving ratings in a fixed, small number of SQL statements: the autosave's and the API's write path.

On PostgreSQL a save is, after the link look-up, exactly BEGIN, one ``SELECT`` that takes the locks in the
order of ``elicitation.locks`` (the study's round gate shared, the round ``FOR SHARE``: saves run side by
side but never beside a close, which takes the gate exclusively and is never starved by them; the expert's
row ``FOR NO KEY UPDATE``: one expert's saves queue behind each other, so every revision's old value is the
value it replaced), one data-modifying statement and COMMIT. That one statement checks every answer against
the round's items, upserts the changed ratings, appends their revisions, marks the participation started,
appends the audit event (counts, never values) after the chain's head with its hash, and reads back the
progress. It takes the study's audit-chain lock itself, as late as it can: the database function
``coopsurvey_audit_chain_head`` (migration 0024) takes the lock and then reads the head with a snapshot of
its own, so the head is the newest although the statement began before the lock was granted
(docs/security.md). The saves of one study so queue on the chain only for the rest of one statement and its
COMMIT, not across a round trip to the app. It writes nothing unless every answer is valid; Python then
words the problems with the same rules as the portable path (``answers._answer_problems``), so both give
the same messages.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from aggregation.models import AggregationRun
from core.prepared import fetch_one
from elicitation.locks import ROUND_GATE, LockedForAnswer, answer_lock_sql, gate_key, locked_from_row
from elicitation.models import (
    AnswerRevision,
    Area,
    AuditEvent,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
    RoundItem,
)
from elicitation.models.audit import AUDIT_CHAIN_LOCK, chain_lock_id
from elicitation.models.audit_chain import GENESIS, canonical_content_around

Item = tuple[int, int]  # (area id, criterion id)
ItemKey = int | UUID | None  # an area's or criterion's id, or (from the API) its UUID: 0 or unknown is not asked
SAVED_ACTION = "answers.saved"


@dataclass(frozen=True)
class ItemRules:
    """What an answer is checked against: the item is asked (active), and its criterion's scale."""

    allow_cannot_judge: bool
    scale_min: int
    scale_max: int


@dataclass
class RatingsSaved:
    """What a save changed and what the expert's progress is now (the autosave's answer needs both)."""

    round: Round
    changed: list[Rating]
    answered: int  # the round's active items the expert has answered, after the save
    total: int  # the round's active items
    scales: dict[Item, tuple[int, int]]  # the posted items that are asked, with their scale
    newly_answered: set[Item] = field(default_factory=set)  # posted items without an answer before
    complete_areas: set[int] = field(default_factory=set)  # posted areas now answered in full
    # A live aggregation run of the round was queued when the save's statement ran (PostgreSQL's path): it
    # will read this save, since its job waits for the saves holding the round (aggregation.jobs.run_job).
    live_run_waiting: bool = False


def uses_single_statement() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class RoundWanted:
    """Which round a save is for: by id, by uuid, or the study's open round (the API's default)."""

    round_id: int | None = None
    round_uuid: UUID | str | None = None
    open_in_study: bool = False


Fetch = Callable[[str, Sequence[Any] | Mapping[str, Any]], tuple[Any, ...] | None]


def lock_round_shared(*, expert: Expert, where: RoundWanted, fetch: Fetch = fetch_one) -> LockedForAnswer:
    """One statement, in the order of ``elicitation.locks``: the study's gate shared, the round ``FOR SHARE``
    and the expert's row (the save's statement takes the audit chain's lock, the last of the order).
    Raises ``Round.DoesNotExist``. ``fetch`` sends it: a pipelined transaction's ``first_row`` sends BEGIN
    with it (``core.pipelined``)."""
    keys: list[int | str]
    if where.round_id is not None:
        condition, keys = "r.id = %s", [where.round_id]
    elif where.open_in_study:  # at most one open round per study (a constraint)
        condition, keys = "r.study_id = %s AND r.status = %s", [expert.study_id, str(Round.Status.OPEN)]
    elif where.round_uuid is not None:
        condition, keys = "r.uuid = %s AND r.study_id = %s", [str(where.round_uuid), expert.study_id]
    else:
        raise Round.DoesNotExist
    row = fetch(answer_lock_sql(condition), [ROUND_GATE, gate_key(expert.study_id), expert.pk, *keys])
    if row is None:
        raise Round.DoesNotExist
    locked = locked_from_row(row)
    if locked.round.study_id == expert.study_id:
        locked.round.study = expert.study
        expert.study.aggregation_interval_seconds = locked.aggregation_interval  # as of the lock
    return locked


_SAVE_SQL = """
WITH input AS (
    SELECT t.ord,
           coalesce(t.area_id, (SELECT a.id FROM {area} a WHERE a.study_id = %(study)s AND a.uuid = t.area_uuid),
                    0) AS area_id,
           coalesce(t.criterion_id, (SELECT c.id FROM {criterion} c
                                     WHERE c.study_id = %(study)s AND c.uuid = t.criterion_uuid), 0) AS criterion_id,
           t.value, t.cannot_judge
    FROM unnest(%(ords)s::int[], %(areas)s::bigint[], %(criteria)s::bigint[], %(area_uuids)s::uuid[],
                %(criterion_uuids)s::uuid[], %(values)s::int[], %(judged)s::bool[])
         AS t(ord, area_id, criterion_id, area_uuid, criterion_uuid, value, cannot_judge)
),
checked AS (
    SELECT i.*, ri.id IS NOT NULL AS asked, c.allow_cannot_judge, c.scale_min, c.scale_max,
           count(*) OVER (PARTITION BY i.area_id, i.criterion_id) AS times
    FROM input i
    LEFT JOIN ({item} ri JOIN {area} a ON a.id = ri.area_id AND a.is_active
               JOIN {criterion} c ON c.id = ri.criterion_id AND c.is_active)
        ON ri.round_id = %(round)s AND ri.area_id = i.area_id AND ri.criterion_id = i.criterion_id
),
valid AS (
    SELECT coalesce(bool_and(asked AND times = 1 AND CASE WHEN cannot_judge
               THEN allow_cannot_judge AND value IS NULL
               ELSE value IS NOT NULL AND value BETWEEN scale_min AND scale_max END), false) AS ok
    FROM checked
),
old AS (
    SELECT r.area_id, r.criterion_id,
           CASE WHEN r.cannot_judge THEN 'cannot_judge' ELSE r.value::text END AS old_text
    FROM {rating} r JOIN input i ON i.area_id = r.area_id AND i.criterion_id = r.criterion_id
    WHERE r.round_id = %(round)s AND r.expert_id = %(expert)s
),
changes AS (
    SELECT k.ord, k.area_id, k.criterion_id, k.cannot_judge,
           CASE WHEN k.cannot_judge THEN NULL ELSE k.value END AS value,
           o.old_text, CASE WHEN k.cannot_judge THEN 'cannot_judge' ELSE k.value::text END AS new_text
    FROM checked k LEFT JOIN old o ON o.area_id = k.area_id AND o.criterion_id = k.criterion_id
    WHERE (SELECT ok FROM valid)
      AND o.old_text IS DISTINCT FROM CASE WHEN k.cannot_judge THEN 'cannot_judge' ELSE k.value::text END
),
upserted AS (
    INSERT INTO {rating} (round_id, expert_id, area_id, criterion_id, value, cannot_judge, created_at, updated_at)
    SELECT %(round)s, %(expert)s, area_id, criterion_id, value, cannot_judge, %(now)s, %(now)s
    FROM changes ORDER BY ord
    ON CONFLICT (round_id, expert_id, area_id, criterion_id)
    DO UPDATE SET value = EXCLUDED.value, cannot_judge = EXCLUDED.cannot_judge, updated_at = EXCLUDED.updated_at
    RETURNING id, area_id, criterion_id, value, cannot_judge, created_at, updated_at
),
revisions AS (
    INSERT INTO {revision} (round_id, expert_id, area_id, criterion_id, field, old_value, new_value, source,
                            created_at)
    SELECT %(round)s, %(expert)s, area_id, criterion_id, 'value', old_text, new_text, %(source)s, %(now)s
    FROM changes ORDER BY ord
    RETURNING 1
),
changed AS (
    SELECT count(*) AS n FROM revisions
),
head AS (  -- takes the chain's lock, then reads the newest head (migration 0024)
    SELECT sequence, hash FROM coopsurvey_audit_chain_head(%(study)s, %(chain_lock)s, %(chain_key)s)
),
audited AS (
    INSERT INTO {audit} (study_id, actor_user_id, actor_expert_id, action, target, detail, created_at,
                         sequence, previous_hash, hash)
    SELECT %(study)s, NULL, %(expert)s, %(action)s, %(target)s,
           jsonb_build_object('ratings', c.n, 'source', %(source)s::text), %(now)s,
           coalesce(h.sequence, 0) + 1, coalesce(h.hash, %(genesis)s),
           encode(sha256(convert_to(coalesce(h.hash, %(genesis)s) || E'\n', 'UTF8')
                         || %(before)s::bytea || convert_to(c.n::text, 'UTF8') || %(after)s::bytea), 'hex')
    FROM changed c LEFT JOIN head h ON true
    WHERE c.n > 0
    RETURNING 1
),
started AS (
    INSERT INTO {participation} (round_id, expert_id, opened_at, started_at, reminder_count)
    SELECT %(round)s, %(expert)s, %(now)s, %(now)s, 0 WHERE EXISTS (SELECT 1 FROM changes)
    ON CONFLICT (round_id, expert_id) DO UPDATE
    SET started_at = coalesce({participation}.started_at, EXCLUDED.started_at),
        opened_at = coalesce({participation}.opened_at, EXCLUDED.opened_at)
    RETURNING 1
),
answered_before AS (
    SELECT r.area_id, r.criterion_id FROM {rating} r
    JOIN {area} a ON a.id = r.area_id AND a.is_active JOIN {criterion} c ON c.id = r.criterion_id AND c.is_active
    WHERE r.round_id = %(round)s AND r.expert_id = %(expert)s
),
asked AS (
    SELECT ri.area_id, ri.criterion_id FROM {item} ri
    JOIN {area} a ON a.id = ri.area_id AND a.is_active JOIN {criterion} c ON c.id = ri.criterion_id AND c.is_active
    WHERE ri.round_id = %(round)s
),
answered_after AS (
    SELECT area_id, criterion_id FROM answered_before
    UNION SELECT area_id, criterion_id FROM checked WHERE asked AND (SELECT ok FROM valid)
)
SELECT
    (SELECT json_agg(json_build_array(ord, asked, allow_cannot_judge, scale_min, scale_max,
                                      (area_id, criterion_id) NOT IN (SELECT * FROM answered_before),
                                      area_id, criterion_id)
                     ORDER BY ord) FROM checked),
    (SELECT coalesce(json_agg(json_build_array(id, area_id, criterion_id, value, cannot_judge, created_at,
                                               updated_at)), '[]') FROM upserted),
    (SELECT count(*) FROM answered_after),
    (SELECT count(*) FROM asked),
    (SELECT coalesce(json_agg(DISTINCT s.area_id), '[]') FROM asked s
     WHERE s.area_id IN (SELECT area_id FROM input)
       AND NOT EXISTS (SELECT 1 FROM asked t WHERE t.area_id = s.area_id
                       AND (t.area_id, t.criterion_id) NOT IN (SELECT area_id, criterion_id FROM answered_after))),
    (SELECT n FROM changed),
    (SELECT count(*) FROM audited),
    EXISTS (SELECT 1 FROM {run} WHERE round_id = %(round)s AND trigger = %(live)s AND status = %(queued)s)
"""


@functools.cache
def _save_sql() -> str:
    return _SAVE_SQL.format(
        item=RoundItem._meta.db_table,
        area=Area._meta.db_table,
        criterion=Criterion._meta.db_table,
        rating=Rating._meta.db_table,
        revision=AnswerRevision._meta.db_table,
        participation=Participation._meta.db_table,
        audit=AuditEvent._meta.db_table,
        run=AggregationRun._meta.db_table,
    )


@dataclass(frozen=True)
class StatementResult:
    rules: list[ItemRules | None]  # per answer, in order; None: the item is not asked
    newly_answered: list[bool]
    items: list[Item]  # per answer, in order: its (area id, criterion id), 0 where a UUID is unknown
    saved: RatingsSaved


def ratings_upsert_statement(
    *,
    expert: Expert,
    round_: Round,
    answers: Sequence[tuple[ItemKey, ItemKey, int | None, bool]],
    source: str,
    fetch: Fetch = fetch_one,
) -> StatementResult:
    """Run the one data-modifying statement for (area, criterion, value, cannot judge) answers (sent by
    ``fetch``: a pipelined transaction's ``last_row`` sends COMMIT with it).

    Areas and criteria are given by id, or by UUID (looked up in the expert's study by the statement;
    ``items`` in the result has the ids). Writes only when every answer passes the checks; the caller
    words the problems from ``rules``.
    """
    now = timezone.now()
    source = str(source)
    target = f"round {round_.number}"
    # The audit event (counts, never values) is written by the statement too, in its place in the study's
    # hash chain: Python serialises its content once, and the statement puts in the count it makes.
    before, after = canonical_content_around(
        {
            "study_id": expert.study_id,
            "actor_user_id": None,
            "actor_expert_id": expert.pk,
            "action": SAVED_ACTION,
            "target": target,
            "detail": {"source": source},
            "created_at": now,
        },
        "ratings",
    )
    params: dict[str, Any] = {
        "ords": list(range(len(answers))),
        "areas": [None if isinstance(answer[0], UUID) else answer[0] for answer in answers],
        "criteria": [None if isinstance(answer[1], UUID) else answer[1] for answer in answers],
        "area_uuids": [answer[0] if isinstance(answer[0], UUID) else None for answer in answers],
        "criterion_uuids": [answer[1] if isinstance(answer[1], UUID) else None for answer in answers],
        "values": [answer[2] for answer in answers],
        "judged": [answer[3] for answer in answers],
        "round": round_.pk,
        "expert": expert.pk,
        "study": expert.study_id,
        "action": SAVED_ACTION,
        "target": target,
        "source": source,
        "now": now,
        "genesis": GENESIS,
        "before": before,
        "after": after,
        "live": AggregationRun.Trigger.RATINGS,
        "queued": AggregationRun.Status.QUEUED,
        "chain_lock": AUDIT_CHAIN_LOCK,
        "chain_key": chain_lock_id(expert.study_id),
    }
    row = fetch(_save_sql(), params)
    assert row is not None  # the statement's SELECT has no FROM: always one row
    facts, upserted, answered, total, complete_areas, _changed, _audited, live_run_waiting = row
    facts = _json(facts) or []
    upserted = _json(upserted)
    rules: list[ItemRules | None] = []
    newly: list[bool] = []
    items: list[Item] = []
    scales: dict[Item, tuple[int, int]] = {}
    for _ord, asked, allow_cannot_judge, scale_min, scale_max, new, area_id, criterion_id in facts:
        newly.append(bool(new))
        items.append((area_id, criterion_id))
        if not asked:
            rules.append(None)
            continue
        rules.append(ItemRules(allow_cannot_judge=allow_cannot_judge, scale_min=scale_min, scale_max=scale_max))
        scales[(area_id, criterion_id)] = (scale_min, scale_max)
    order = {item: index for index, item in enumerate(items)}
    changed = [
        Rating(
            id=rating_id,
            round=round_,
            expert=expert,
            area_id=area_id,
            criterion_id=criterion_id,
            value=value,
            cannot_judge=cannot_judge,
        )
        for rating_id, area_id, criterion_id, value, cannot_judge, _created, _updated in upserted
    ]
    for rating in changed:
        rating.updated_at = now
    changed.sort(key=lambda rating: order[(rating.area_id, rating.criterion_id)])
    saved = RatingsSaved(
        round=round_,
        changed=changed,
        answered=answered,
        total=total,
        scales=scales,
        newly_answered={item for item, new in zip(items, newly, strict=True) if new},
        complete_areas=set(_json(complete_areas)),
        live_run_waiting=bool(live_run_waiting),
    )
    return StatementResult(rules=rules, newly_answered=newly, items=items, saved=saved)


def _json(value: Any) -> Any:
    """psycopg decodes json columns itself; a driver that returns text gets parsed here."""
    if isinstance(value, str):
        return json.loads(value)
    return value
