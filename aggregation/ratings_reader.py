"""Read a round's counted ratings, with the snapshot numbers its run records, in one statement.

On PostgreSQL :func:`read_rounds` asks for every round it is given (the round and the one before it) in ONE
statement that scans each round's ratings once and returns, per round:

- the snapshot numbers (``aggregation.runs.Snapshot``): how many ratings the round holds, the newest change
  among them, the highest rating revision and the database's clock, all from the statement's snapshot;
- every rating as ONE byte string of fixed-width big-endian records (area, criterion and expert id, and the
  value, -1 for "cannot judge"), sent in binary, which numpy reads as columns without a Python object per
  rating; and who counts (``elicitation.rounds.selectors.counted_ratings``: submitted answers only, or
  every saved answer when the round's rule says so), which numpy applies to the records.

The experts' blocs and the criteria's scales (one small query each) complete the DataFrame that
``analysis.summary`` expects. Other databases (the demo's SQLite) read through the ORM: the same rows
and numbers, in a few statements, which the tests compare with the byte path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Max

from aggregation.inclusion import counted_ratings
from aggregation.runs import Snapshot, database_now
from analysis.summary import RATING_COLUMNS
from elicitation.models import (
    AnalysisPlan,
    AnswerRevision,
    ConsensusRule,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
)

CANNOT_JUDGE: Final = -1  # the value's stand-in in the byte records (scales lie within 0..100)
RECORD: Final = np.dtype([("area", ">i8"), ("criterion", ">i8"), ("expert", ">i8"), ("value", ">i2")])


@dataclass(frozen=True)
class RoundRead:
    snapshot: Snapshot
    ratings: pd.DataFrame  # the counted ratings, columns ``analysis.summary.RATING_COLUMNS``


def uses_byte_columns() -> bool:
    """Whether the one-statement read (and the COPY write of ``aggregation.result_rows``) is available."""
    return connection.vendor == "postgresql"


def read_rounds(round_ids: Sequence[int], *, study_id: int) -> dict[int, RoundRead]:
    """Each round's snapshot and counted ratings (call inside ``aggregation.runs.consistent_read``)."""
    read = _read_bytes if uses_byte_columns() else _read_orm
    found = read(round_ids)
    blocs = dict(Expert.objects.filter(study_id=study_id).values_list("id", "bloc"))
    scales = {pk: (low, high) for pk, low, high in Criterion.objects.filter(study_id=study_id).values_list(
        "id", "scale_min", "scale_max"
    )}  # fmt: skip
    return {
        round_id: RoundRead(snapshot, ratings_frame(records, blocs, scales))
        for round_id, (snapshot, records) in found.items()
    }


def ratings_frame(records: np.ndarray, blocs: dict[int, str], scales: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """The ratings DataFrame from :data:`RECORD` records (bloc and scale looked up per expert and criterion).

    The bloc column is categorical: a code per rating instead of a string object.
    """
    expert = records["expert"].astype(np.int64)
    criterion = records["criterion"].astype(np.int64)
    value = records["value"].astype(np.float64)
    value[value == CANNOT_JUDGE] = np.nan
    expert_ids = np.fromiter(blocs, dtype=np.int64, count=len(blocs))
    bloc_codes, bloc_names = pd.factorize(np.array(list(blocs.values()), dtype=object))
    criterion_ids = np.fromiter(scales, dtype=np.int64, count=len(scales))
    bounds = np.array(list(scales.values()), dtype=np.int64).reshape(-1, 2)
    criterion_at = _positions(criterion_ids, criterion)
    expert_at = _positions(expert_ids, expert)
    return pd.DataFrame(
        {
            "area": records["area"].astype(np.int64),
            "criterion": criterion,
            "expert": expert,
            "bloc": pd.Categorical.from_codes(bloc_codes[expert_at], categories=pd.Index(bloc_names)),
            "value": value,
            "scale_min": bounds[criterion_at, 0],
            "scale_max": bounds[criterion_at, 1],
        },
        columns=list(RATING_COLUMNS),
    )


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` is in ``ids`` (every one is there: foreign keys of the same study)."""
    order = np.argsort(ids, kind="stable")
    found = order[np.searchsorted(ids, wanted, sorter=order)] if ids.size else np.zeros(0, dtype=np.int64)
    if wanted.size and not np.array_equal(ids[found], wanted):
        raise ValueError("a rating names an expert or criterion outside its study")
    return found


def _read_bytes(round_ids: Sequence[int]) -> dict[int, tuple[Snapshot, np.ndarray]]:
    """One statement: per round, the snapshot numbers, every rating as one byte string, and who counts.

    Who counts (``counted_ratings``): every saved answer when the analysis plan in force says so (a study
    without a plan: its round's rule), else the answers of the experts who submitted the round; the statement
    returns that choice and the submitted experts, and
    numpy keeps their records (cheaper than joining the participations to every rating).
    """
    sql = f"""
        SELECT rounds.id, clock_timestamp(),
               (SELECT max(v.id) FROM {AnswerRevision._meta.db_table} v
                 WHERE v.round_id = rounds.id AND v.field = %s),
               (SELECT coalesce(
                         (SELECT plan.content ->> 'inclusion' FROM {AnalysisPlan._meta.db_table} plan
                           WHERE plan.study_id = ro.study_id ORDER BY plan.version DESC LIMIT 1),
                         rule.inclusion) = %s
                  FROM {Round._meta.db_table} ro
                  LEFT JOIN {ConsensusRule._meta.db_table} rule ON rule.id = ro.consensus_rule_id
                 WHERE ro.id = rounds.id),
               (SELECT array_agg(p.expert_id) FROM {Participation._meta.db_table} p
                 WHERE p.round_id = rounds.id AND p.submitted_at IS NOT NULL),
               found.ratings, found.latest, found.records
          FROM unnest(%s::bigint[]) AS rounds(id)
          CROSS JOIN LATERAL (
            SELECT count(*) AS ratings, max(r.updated_at) AS latest,
                   string_agg(int8send(r.area_id) || int8send(r.criterion_id) || int8send(r.expert_id)
                              || int2send(coalesce(r.value, %s::smallint)), ''::bytea) AS records
              FROM {Rating._meta.db_table} r
             WHERE r.round_id = rounds.id
          ) AS found
    """  # noqa: S608 - table names from the models, values as parameters
    params: list[Any] = [AnswerRevision.Field.VALUE, ConsensusRule.Inclusion.ALL_SAVED, list(round_ids), CANNOT_JUDGE]
    with _binary_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {}
    for round_id, read_at, revision, every_saved_answer, submitted, count, latest, data in rows:
        records = np.frombuffer(data or b"", dtype=RECORD)
        if not every_saved_answer:
            records = records[np.isin(records["expert"], np.array(submitted or [], dtype=np.int64))]
        found[round_id] = (Snapshot(revision=revision or 0, count=count, latest=latest, read_at=read_at), records)
    return found


def _binary_cursor() -> Any:
    """A cursor on Django's connection (its transaction, its query log) whose results come in binary: the byte
    string arrives as it is, not hex-encoded by the server and decoded here (a third of the read's time)."""
    import psycopg

    connection.ensure_connection()
    raw: Any = psycopg.Cursor(connection.connection)  # server-side binding: Django's ClientCursor cannot do binary
    raw.format = psycopg.pq.Format.BINARY
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _read_orm(round_ids: Sequence[int]) -> dict[int, tuple[Snapshot, np.ndarray]]:
    """The same numbers and records through the ORM (three statements a round and a tuple per rating)."""
    return {round_id: _read_orm_round(round_id) for round_id in round_ids}


def _read_orm_round(round_id: int) -> tuple[Snapshot, np.ndarray]:
    revision = AnswerRevision.objects.filter(round_id=round_id, field=AnswerRevision.Field.VALUE).aggregate(
        highest=Max("id")
    )["highest"]
    totals = Rating.objects.filter(round_id=round_id).aggregate(count=Count("id"), latest=Max("updated_at"))
    snapshot = Snapshot(revision=revision or 0, count=totals["count"], latest=totals["latest"], read_at=database_now())
    rows = list(counted_ratings(round_id).values_list("area_id", "criterion_id", "expert_id", "value"))
    coded = [
        (area, criterion, expert, CANNOT_JUDGE if value is None else value) for area, criterion, expert, value in rows
    ]
    records = np.array(coded, dtype=RECORD)
    return snapshot, records
