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

Outside a caller's transaction all four travel in one round trip (``core.pipelined``, chosen by
``answers.ratings_save``): nothing runs in Python between the lock and the save, so the save statement
finds the round itself and writes nothing where the lock's row will refuse (``rating_save_sql``). The
lock's row is read first all the same, and its refusals win.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from aggregation.models import AggregationRun
from core.pipelined import Statement
from elicitation.expert.services.rating_save_sql import save_sql
from elicitation.locks import ROUND_GATE, answer_lock_sql, gate_key
from elicitation.models import Expert, Rating, Round
from elicitation.models.audit import AUDIT_CHAIN_LOCK, chain_lock_id
from elicitation.models.audit_chain import GAPS, GENESIS, canonical_content_gaps

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

    def named_by(self) -> str:
        """``id``, ``open`` or ``uuid``, in that precedence: the lock and the save statement find the same
        round. Raises ``Round.DoesNotExist`` when nothing names one."""
        if self.round_id is not None:
            return "id"
        if self.open_in_study:
            return "open"
        if self.round_uuid is not None:
            return "uuid"
        raise Round.DoesNotExist


def lock_statement(*, expert: Expert, where: RoundWanted) -> Statement:
    """One statement, in the order of ``elicitation.locks``: the study's gate shared, the round ``FOR SHARE``
    and the expert's row (the save's statement takes the audit chain's lock, the last of the order). Its
    row is read by ``elicitation.locks.locked_from_row``. Raises ``Round.DoesNotExist`` when ``where`` names
    no round."""
    keys: list[Any]
    named_by = where.named_by()
    if named_by == "id":
        condition, keys = "r.id = %s", [where.round_id]
    elif named_by == "open":  # at most one open round per study (a constraint)
        condition, keys = "r.study_id = %s AND r.status = %s", [expert.study_id, str(Round.Status.OPEN)]
    else:
        condition, keys = "r.uuid = %s AND r.study_id = %s", [str(where.round_uuid), expert.study_id]
    return answer_lock_sql(condition), [ROUND_GATE, gate_key(expert.study_id), expert.pk, *keys]


@dataclass(frozen=True)
class StatementResult:
    rules: list[ItemRules | None]  # per answer, in order; None: the item is not asked
    newly_answered: list[bool]
    items: list[Item]  # per answer, in order: its (area id, criterion id), 0 where a UUID is unknown
    saved: RatingsSaved


@dataclass(frozen=True)
class SaveStatement:
    """The one data-modifying statement, ready to send, and the time it stamps its rows with."""

    sql: str
    params: dict[str, Any]
    now: datetime.datetime


def save_statement(
    *, expert: Expert, where: RoundWanted, answers: Sequence[tuple[ItemKey, ItemKey, int | None, bool]], source: str
) -> SaveStatement:
    """The statement for (area, criterion, value, cannot judge) answers, to run right after the lock statement.

    Areas and criteria are given by id, or by UUID (looked up in the expert's study by the statement;
    ``items`` in the result has the ids). Writes only when every answer passes the checks and the round and
    expert let the lock statement's caller go on (``rating_save_sql``); the caller words the problems from
    ``rules``.
    """
    now = timezone.now()
    source = str(source)
    # The audit event (counts, never values) is written by the statement too, in its place in the study's
    # hash chain: Python serialises its content once, and the statement puts in the count it makes and the
    # round's number, which it reads itself.
    before, between, after = canonical_content_gaps(
        {
            "study_id": expert.study_id,
            "actor_user_id": None,
            "actor_expert_id": expert.pk,
            "action": SAVED_ACTION,
            "target": f"round {GAPS[1]}",
            "detail": {"source": source, "ratings": GAPS[0]},
            "created_at": now,
        },
        GAPS,
    )
    named_by = where.named_by()
    round_keys: dict[str, dict[str, Any]] = {
        "id": {"round_id": where.round_id},
        "open": {},
        "uuid": {"round_uuid": str(where.round_uuid)},
    }
    params: dict[str, Any] = {
        **round_keys[named_by],
        "open": str(Round.Status.OPEN),
        "ords": list(range(len(answers))),
        "areas": [None if isinstance(answer[0], UUID) else answer[0] for answer in answers],
        "criteria": [None if isinstance(answer[1], UUID) else answer[1] for answer in answers],
        "area_uuids": [answer[0] if isinstance(answer[0], UUID) else None for answer in answers],
        "criterion_uuids": [answer[1] if isinstance(answer[1], UUID) else None for answer in answers],
        "values": [answer[2] for answer in answers],
        "judged": [answer[3] for answer in answers],
        "expert": expert.pk,
        "study": expert.study_id,
        "action": SAVED_ACTION,
        "source": source,
        "now": now,
        "genesis": GENESIS,
        "before": before,
        "between": between,
        "after": after,
        "live": AggregationRun.Trigger.RATINGS,
        "queued": AggregationRun.Status.QUEUED,
        "chain_lock": AUDIT_CHAIN_LOCK,
        "chain_key": chain_lock_id(expert.study_id),
    }
    return SaveStatement(sql=save_sql(named_by), params=params, now=now)


def save_result(
    row: tuple[Any, ...] | None, *, statement: SaveStatement, expert: Expert, round_: Round
) -> StatementResult:
    """Read the statement's row, for the round the lock statement's row gave (and the caller checked)."""
    now = statement.now
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
