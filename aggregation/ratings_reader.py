"""Read a round's counted ratings, with the snapshot numbers its run records, in two statements.

On PostgreSQL :func:`read_rounds` asks for every round it is given (the round and the one before it) in two
statements of one snapshot, which scan each round's ratings once and return, per round:

- the snapshot numbers (``aggregation.runs.Snapshot``): how many ratings the round holds, the newest change
  among them, the highest rating revision and the database's clock, all from the statement's snapshot;
- every rating packed into one integer (area, criterion and expert id as offsets from the study's lowest,
  and the value: :class:`Packing`), all of a round's as ONE byte string sent in binary, which numpy reads
  and unpacks as columns without a Python object per rating: 4 bytes a rating (8 in a study too large
  for that), and the server builds one ``int4send`` per rating instead of four; and who counts
  (``elicitation.rounds.selectors.counted_ratings``: submitted answers only, or every saved answer when
  the round's rule says so), which numpy applies.

The experts' blocs, the criteria's scales and the areas' ids (one small query each, first: the packing
needs their spans) complete the DataFrame that ``analysis.summary`` expects. Other databases (the demo's
SQLite), and a study whose ids spread too far apart to pack (never in practice), read through the ORM: the
same rows and numbers, in a few statements, which the tests compare with the packed path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Max

from aggregation.inclusion import counted_ratings
from aggregation.runs import Snapshot, consistent_read, database_now
from analysis.summary import RATING_COLUMNS
from core.prepared import wrapped_cursor
from elicitation.models import (
    AnalysisPlan,
    AnswerRevision,
    Area,
    ConsensusRule,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
)

CANNOT_JUDGE: Final = -1  # the value's stand-in (scales lie within 0..100)
VALUE_BITS: Final = 7  # value + 1 lies within 0..101
PACKED_LIMIT: Final = 2**62  # a packed rating stays well inside PostgreSQL's bigint


@dataclass(frozen=True)
class RoundRead:
    snapshot: Snapshot
    ratings: pd.DataFrame  # the counted ratings, columns ``analysis.summary.RATING_COLUMNS``


@dataclass(frozen=True)
class Packing:
    """How one rating becomes one integer: its area, criterion and expert ids as offsets from the study's
    lowest, and its value, in mixed radix: ``((area * criteria + criterion) * experts + expert) * 128 + value + 1``.
    """

    area_low: int
    areas: int
    criterion_low: int
    criteria: int
    expert_low: int
    experts: int

    @classmethod
    def of(cls, area_ids: Sequence[int], criterion_ids: Sequence[int], expert_ids: Sequence[int]) -> Packing | None:
        """The packing of a study with these ids; None when the product of their spans would not fit."""
        spans = [
            (min(ids), max(ids) - min(ids) + 1) if ids else (0, 1) for ids in (area_ids, criterion_ids, expert_ids)
        ]
        if spans[0][1] * spans[1][1] * spans[2][1] * 2**VALUE_BITS >= PACKED_LIMIT:
            return None
        (area_low, areas), (criterion_low, criteria), (expert_low, experts) = spans
        return cls(area_low, areas, criterion_low, criteria, expert_low, experts)

    @property
    def bytes(self) -> int:
        """Bytes a packed rating takes: 4 (an ``integer``) when every packed rating fits one, else 8 (``bigint``).

        Most studies fit (1,000 experts x 100 areas x 6 criteria is 77 million): half the bytes to build,
        concatenate and send, the read a sixth faster.
        """
        return 4 if self.areas * self.criteria * self.experts * 2**VALUE_BITS <= 2**31 - 1 else 8

    @property
    def dtype(self) -> str:
        """numpy's name for the big-endian integers of :meth:`sql`."""
        return f">i{self.bytes}"

    def sql(self) -> tuple[str, list[int]]:
        """The expression that packs a rating ``r`` into :attr:`bytes` big-endian bytes, and its parameters."""
        expression = (
            "((((r.area_id - %s) * %s + (r.criterion_id - %s)) * %s + (r.expert_id - %s)) * %s"
            " + coalesce(r.value, %s) + 1)"
        )
        expression = f"int8send({expression})" if self.bytes == 8 else f"int4send(({expression})::integer)"
        params = [self.area_low, self.criteria, self.criterion_low, self.experts, self.expert_low]
        return expression, [*params, 2**VALUE_BITS, CANNOT_JUDGE]

    def unpack(self, packed: np.ndarray) -> dict[str, np.ndarray]:
        """Area, criterion and expert ids and values (CANNOT_JUDGE for "cannot judge") of packed ratings."""
        rest, value = np.divmod(packed, 2**VALUE_BITS)
        rest, expert = np.divmod(rest, self.experts)
        area, criterion = np.divmod(rest, self.criteria)
        return {
            "area": area + self.area_low,
            "criterion": criterion + self.criterion_low,
            "expert": expert + self.expert_low,
            "value": value - 1,
        }


def uses_byte_columns() -> bool:
    """Whether the one-statement read (and the COPY write of ``aggregation.result_rows``) is available."""
    return connection.vendor == "postgresql"


def read_rounds(round_ids: Sequence[int], *, study_id: int) -> dict[int, RoundRead]:
    """Each round's snapshot and counted ratings, read in one snapshot (``aggregation.runs.consistent_read``,
    the caller's if it holds one)."""
    with consistent_read():
        return _read_rounds(round_ids, study_id=study_id)


def _read_rounds(round_ids: Sequence[int], *, study_id: int) -> dict[int, RoundRead]:
    blocs = dict(Expert.objects.filter(study_id=study_id).values_list("id", "bloc"))
    scales = {pk: (low, high) for pk, low, high in Criterion.objects.filter(study_id=study_id).values_list(
        "id", "scale_min", "scale_max"
    )}  # fmt: skip
    packing = None
    if uses_byte_columns():
        area_ids = list(Area.objects.filter(study_id=study_id).values_list("id", flat=True))
        packing = Packing.of(area_ids, list(scales), list(blocs))
    found = _read_packed(round_ids, packing) if packing is not None else _read_orm(round_ids)
    return {
        round_id: RoundRead(snapshot, ratings_frame(columns, blocs, scales))
        for round_id, (snapshot, columns) in found.items()
    }


def ratings_frame(
    columns: Mapping[str, np.ndarray], blocs: dict[int, str], scales: dict[int, tuple[int, int]]
) -> pd.DataFrame:
    """The ratings DataFrame from columns of ids and values (bloc and scale looked up per expert and criterion).

    The bloc column is categorical: a code per rating instead of a string object.
    """
    expert = np.asarray(columns["expert"], dtype=np.int64)
    criterion = np.asarray(columns["criterion"], dtype=np.int64)
    value = np.asarray(columns["value"], dtype=np.float64)
    value[value == CANNOT_JUDGE] = np.nan
    expert_ids = np.fromiter(blocs, dtype=np.int64, count=len(blocs))
    bloc_codes, bloc_names = pd.factorize(np.array(list(blocs.values()), dtype=object))
    criterion_ids = np.fromiter(scales, dtype=np.int64, count=len(scales))
    bounds = np.array(list(scales.values()), dtype=np.int64).reshape(-1, 2)
    criterion_at = _positions(criterion_ids, criterion)
    expert_at = _positions(expert_ids, expert)
    return pd.DataFrame(
        {
            "area": np.asarray(columns["area"], dtype=np.int64),
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
    """Where each of ``wanted`` is in ``ids`` (every one is there: foreign keys of the same study).

    Ids of one study lie close together, so a table over their span answers each look-up in one step.
    """
    if not wanted.size:
        return np.zeros(0, dtype=np.int64)
    low = int(min(ids.min(), wanted.min())) if ids.size else int(wanted.min())
    high = int(max(ids.max(), wanted.max())) if ids.size else int(wanted.max())
    if high - low > 4 * (ids.size + wanted.size) + 4096:
        order = np.argsort(ids, kind="stable")
        found = (
            order[np.minimum(np.searchsorted(ids, wanted, sorter=order), max(ids.size - 1, 0))] if ids.size else None
        )
    else:
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[ids - low] = np.arange(ids.size)
        found = table[wanted - low]
        found = None if (found < 0).any() else found
    if found is None or not np.array_equal(ids[found], wanted):
        raise ValueError("a rating names an expert or criterion outside its study")
    return found


def _read_packed(round_ids: Sequence[int], packing: Packing) -> dict[int, tuple[Snapshot, dict[str, np.ndarray]]]:
    """Two statements of the read's REPEATABLE READ snapshot: per round, the snapshot numbers and who counts;
    then every rating packed into one integer (:class:`Packing`).

    The ratings come as byte strings of big-endian integers (``int4send``, or ``int8send`` for a study whose
    packed ratings need a bigint; sent in binary), which numpy reads
    and unpacks without a Python object per rating. Each round is one part of a ``UNION ALL``: PostgreSQL 15
    cannot split one ``string_agg`` between parallel workers, but it runs the parts side by side (a Parallel
    Append), so the previous round is read beside the round, not after it. (Halves of a round by area or
    expert would not run side by side: the planner keeps the round's index and filters, each half scanning
    the whole round.) Who counts (``counted_ratings``): every saved answer when the analysis
    plan in force says so (a study without a plan: its round's rule), else the answers of the experts who
    submitted the round; the first statement returns that choice and the submitted experts, and numpy keeps
    their ratings (cheaper than joining the participations to every rating).
    """
    about = f"""
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
                 WHERE p.round_id = rounds.id AND p.submitted_at IS NOT NULL)
          FROM unnest(%s::bigint[]) AS rounds(id)
    """  # noqa: S608 - table names from the models, values as parameters
    packed, packed_params = packing.sql()
    part = f"""
        SELECT %s::bigint, count(*), max(r.updated_at), string_agg({packed}, ''::bytea)
          FROM {Rating._meta.db_table} r
         WHERE r.round_id = %s::bigint
    """  # noqa: S608 - table names from the models, values as parameters
    parts = [part for _ in round_ids]
    params: list[Any] = []
    for round_id in round_ids:
        params += [round_id, *packed_params, round_id]
    with _binary_cursor() as cursor:
        cursor.execute(about, [AnswerRevision.Field.VALUE, ConsensusRule.Inclusion.ALL_SAVED, list(round_ids)])
        rounds = cursor.fetchall()
        cursor.execute(" UNION ALL ".join(parts), params)
        ratings = cursor.fetchall()
    totals = {round_id: (count, latest, data) for round_id, count, latest, data in ratings}
    found = {}
    for round_id, read_at, revision, every_saved_answer, submitted in rounds:
        count, latest, data = totals[round_id]
        columns = packing.unpack(np.frombuffer(data or b"", dtype=packing.dtype).astype(np.int64))
        if not every_saved_answer:
            counted = np.zeros(packing.experts, dtype=bool)
            offsets = np.array(submitted or [], dtype=np.int64) - packing.expert_low
            counted[offsets[(offsets >= 0) & (offsets < packing.experts)]] = True
            keep = counted[columns["expert"] - packing.expert_low]
            columns = {name: values[keep] for name, values in columns.items()}
        found[round_id] = (Snapshot(revision=revision or 0, count=count, latest=latest, read_at=read_at), columns)
    return found


def _binary_cursor() -> Any:
    """A cursor on Django's connection (its transaction, its query log) whose results come in binary: the byte
    string arrives as it is, not hex-encoded by the server and decoded here (a third of the read's time)."""
    import psycopg

    def binary(psycopg_connection: Any) -> Any:
        raw = psycopg.Cursor(psycopg_connection)  # server-side binding: Django's ClientCursor cannot do binary
        raw.format = psycopg.pq.Format.BINARY
        return raw

    return wrapped_cursor(binary)


def _read_orm(round_ids: Sequence[int]) -> dict[int, tuple[Snapshot, dict[str, np.ndarray]]]:
    """The same numbers and records through the ORM (three statements a round and a tuple per rating)."""
    return {round_id: _read_orm_round(round_id) for round_id in round_ids}


def _read_orm_round(round_id: int) -> tuple[Snapshot, dict[str, np.ndarray]]:
    revision = AnswerRevision.objects.filter(round_id=round_id, field=AnswerRevision.Field.VALUE).aggregate(
        highest=Max("id")
    )["highest"]
    totals = Rating.objects.filter(round_id=round_id).aggregate(count=Count("id"), latest=Max("updated_at"))
    snapshot = Snapshot(revision=revision or 0, count=totals["count"], latest=totals["latest"], read_at=database_now())
    rows = list(counted_ratings(round_id).values_list("area_id", "criterion_id", "expert_id", "value"))
    names = ("area", "criterion", "expert", "value")
    columns = {name: np.zeros(0, dtype=np.int64) for name in names}
    if rows:
        columns = dict(zip(names, np.array([(*row[:3], CANNOT_JUDGE if row[3] is None else row[3]) for row in rows],
                                           dtype=np.int64).T, strict=True))  # fmt: skip
    return snapshot, columns
