"""The rating save's one data-modifying statement (``rating_writes``): its SQL, apart because it is long.

It runs right after the lock statement (``elicitation.locks.answer_lock_sql``), in the same transaction and,
outside a caller's transaction, in the same round trip (``core.pipelined``): nothing runs in Python between
the two. So it finds the round itself, with the lock statement's condition, and writes only where the
lock statement's row will let the caller go on: the round open and of the expert's study, the expert active
(the ``target`` part, read after the lock statement's locks, so it agrees with that row). Where ``target``
is empty nothing is valid, so nothing is written, and the caller raises from the lock statement's row.

Table names come from the models and the round's condition from ``round_condition``; every value is a
parameter.
"""

from __future__ import annotations

import functools

from aggregation.models import AggregationRun
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

ROUND_CONDITIONS = {
    "id": "r.id = %(round_id)s",
    "uuid": "r.uuid = %(round_uuid)s",
    "open": "TRUE",  # the study's open round: the status is checked anyway, and one round at most is open
}

_SAVE_SQL = """
WITH target AS MATERIALIZED (  -- the round the lock statement locked, if the save may write to it
    SELECT r.id, r.number FROM {round} r JOIN {expert} e ON e.id = %(expert)s
    WHERE {condition} AND r.study_id = %(study)s AND r.status = %(open)s
      AND e.study_id = %(study)s AND e.is_active AND e.erased_at IS NULL
),
input AS (
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
        ON ri.round_id = (SELECT id FROM target) AND ri.area_id = i.area_id AND ri.criterion_id = i.criterion_id
),
valid AS (
    SELECT EXISTS (SELECT 1 FROM target) AND coalesce(bool_and(asked AND times = 1 AND CASE WHEN cannot_judge
               THEN allow_cannot_judge AND value IS NULL
               ELSE value IS NOT NULL AND value BETWEEN scale_min AND scale_max END), false) AS ok
    FROM checked
),
old AS (
    SELECT r.area_id, r.criterion_id,
           CASE WHEN r.cannot_judge THEN 'cannot_judge' ELSE r.value::text END AS old_text
    FROM {rating} r JOIN input i ON i.area_id = r.area_id AND i.criterion_id = r.criterion_id
    WHERE r.round_id = (SELECT id FROM target) AND r.expert_id = %(expert)s
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
    SELECT (SELECT id FROM target), %(expert)s, area_id, criterion_id, value, cannot_judge, %(now)s, %(now)s
    FROM changes ORDER BY ord
    ON CONFLICT (round_id, expert_id, area_id, criterion_id)
    DO UPDATE SET value = EXCLUDED.value, cannot_judge = EXCLUDED.cannot_judge, updated_at = EXCLUDED.updated_at
    RETURNING id, area_id, criterion_id, value, cannot_judge, created_at, updated_at
),
revisions AS (
    INSERT INTO {revision} (round_id, expert_id, area_id, criterion_id, field, old_value, new_value, source,
                            created_at)
    SELECT (SELECT id FROM target), %(expert)s, area_id, criterion_id, 'value', old_text, new_text, %(source)s, %(now)s
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
    SELECT %(study)s, NULL, %(expert)s, %(action)s, 'round ' || (SELECT number FROM target),
           jsonb_build_object('ratings', c.n, 'source', %(source)s::text), %(now)s,
           coalesce(h.sequence, 0) + 1, coalesce(h.hash, %(genesis)s),
           encode(sha256(convert_to(coalesce(h.hash, %(genesis)s) || E'\n', 'UTF8')
                         || %(before)s::bytea || convert_to(c.n::text, 'UTF8') || %(between)s::bytea
                         || convert_to((SELECT number FROM target)::text, 'UTF8') || %(after)s::bytea), 'hex')
    FROM changed c LEFT JOIN head h ON true
    WHERE c.n > 0
    RETURNING 1
),
started AS (
    INSERT INTO {participation} (round_id, expert_id, opened_at, started_at, reminder_count)
    SELECT (SELECT id FROM target), %(expert)s, %(now)s, %(now)s, 0 WHERE EXISTS (SELECT 1 FROM changes)
    ON CONFLICT (round_id, expert_id) DO UPDATE
    SET started_at = coalesce({participation}.started_at, EXCLUDED.started_at),
        opened_at = coalesce({participation}.opened_at, EXCLUDED.opened_at)
    RETURNING 1
),
answered_before AS (
    SELECT r.area_id, r.criterion_id FROM {rating} r
    JOIN {area} a ON a.id = r.area_id AND a.is_active JOIN {criterion} c ON c.id = r.criterion_id AND c.is_active
    WHERE r.round_id = (SELECT id FROM target) AND r.expert_id = %(expert)s
),
asked AS (
    SELECT ri.area_id, ri.criterion_id FROM {item} ri
    JOIN {area} a ON a.id = ri.area_id AND a.is_active JOIN {criterion} c ON c.id = ri.criterion_id AND c.is_active
    WHERE ri.round_id = (SELECT id FROM target)
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
    EXISTS (SELECT 1 FROM {run} WHERE round_id = (SELECT id FROM target) AND trigger = %(live)s AND status = %(queued)s)
"""


@functools.cache
def save_sql(condition: str) -> str:
    """The statement for a round named by ``condition`` (a key of ``ROUND_CONDITIONS``)."""
    return _SAVE_SQL.format(
        condition=ROUND_CONDITIONS[condition],
        round=Round._meta.db_table,
        expert=Expert._meta.db_table,
        item=RoundItem._meta.db_table,
        area=Area._meta.db_table,
        criterion=Criterion._meta.db_table,
        rating=Rating._meta.db_table,
        revision=AnswerRevision._meta.db_table,
        participation=Participation._meta.db_table,
        audit=AuditEvent._meta.db_table,
        run=AggregationRun._meta.db_table,
    )
