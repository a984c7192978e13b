"""Aggregation runs: the snapshot each one read, which run is current, which one is published.

A run is appended and keeps its rows; nothing is deleted when a round is aggregated again. Each run records
the snapshot of the ratings it read, taken in one REPEATABLE READ transaction together with the ratings:

- ``snapshot_revision``: the highest rating revision id (``AnswerRevision``, field "value") of the round;
- ``ratings_count`` and ``ratings_as_of``: how many ratings it read and the newest change among them;
- ``snapshot_read_at``: the database's clock when it read them;
- ``inputs_digest``: SHA-256 of every input the results depend on (both rounds' ratings, the experts'
  blocs, the scales, the rule version, the quantile method, k, the thresholds and the code version).

**Newer** means a larger ``(snapshot_revision, snapshot_read_at)``. Saves of a round take the round's row
lock, so revision ids commit in order and a later read sees every revision an earlier one saw; the read
time orders two snapshots with the same revision (changes that write no revision, such as imports).

**Current** is the round's done run with the newest snapshot (at most one per round, a database
constraint). A run becomes current when it is written, under the round's results lock, only if its snapshot
is newer than the current run's: a job that read before others wrote (a slow job, a job held by a dying
worker) appends its rows but never becomes current. Its rows stay for the record.

**Published** runs are what open-round readers see (no differencing, DOMAIN.md's anonymity model): while
the round is open a run that becomes current is published only if its contributors (experts with at least
one rating) include at least k = ``Study.min_group_size`` experts who were not contributors of the last
published run, and no (item, group) row it shows differs from that run's by 1 to k - 1 raters
(``analysis.disclosure.difference_discloses``: k new experts overall may be one new in a bloc). So two
published views of an open round never differ by fewer than k people joining. Once
the round is closed, the current run is the final one and is published whatever it adds.

:func:`database_snapshots` gives the same numbers straight from the database, which the sweep compares with
the current run's to find closed rounds whose stored results do not match their ratings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from aggregation.models import AggregationRun, ItemResult
from analysis.disclosure import difference_discloses
from core.webhooks import webhook_event_record
from elicitation.models import AnswerRevision, Rating, Round, WebhookEvent


@dataclass(frozen=True)
class Snapshot:
    """What a run read (see the module docstring); ``key`` orders snapshots, newest largest."""

    revision: int
    count: int
    latest: datetime | None
    read_at: datetime

    @property
    def key(self) -> tuple[int, datetime]:
        return (self.revision, self.read_at)

    def matches(self, other: Snapshot) -> bool:
        """Whether both saw the same ratings as far as revision, count and newest change tell."""
        return (self.revision, self.count, self.latest) == (other.revision, other.count, other.latest)


def run_snapshot(run: AggregationRun) -> Snapshot | None:
    if run.snapshot_revision is None or run.snapshot_read_at is None:
        return None
    return Snapshot(
        revision=run.snapshot_revision,
        count=run.ratings_count or 0,
        latest=run.ratings_as_of,
        read_at=run.snapshot_read_at,
    )


@contextmanager
def consistent_read() -> Iterator[None]:
    """One read-only REPEATABLE READ transaction: the snapshot numbers and every row come from one instant."""
    outermost = not connection.in_atomic_block  # only a transaction's first statement may set its isolation
    with transaction.atomic(savepoint=False):  # nested: the caller's transaction is the snapshot
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SET LOCAL jit = off")  # compiling these plans costs more than running them
        yield


def database_snapshots(round_ids: Iterable[int]) -> dict[int, Snapshot]:
    """The snapshot numbers of several rounds as the database holds them now (two grouped queries)."""
    ids = list(round_ids)
    now = database_now()
    revisions = dict(
        AnswerRevision.objects.filter(round_id__in=ids, field=AnswerRevision.Field.VALUE)
        .values("round_id")
        .annotate(highest=Max("id"))
        .values_list("round_id", "highest")
        .order_by()
    )
    counts = {
        row["round_id"]: row
        for row in Rating.objects.filter(round_id__in=ids)
        .values("round_id")
        .annotate(count=Count("id"), latest=Max("updated_at"))
        .order_by()
    }
    return {
        round_id: Snapshot(
            revision=revisions.get(round_id) or 0,
            count=counts[round_id]["count"] if round_id in counts else 0,
            latest=counts[round_id]["latest"] if round_id in counts else None,
            read_at=now,
        )
        for round_id in ids
    }


def database_now() -> datetime:
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (now,) = cursor.fetchone()
    return now


_ROW_MULTIPLIER = 0x9E37_79B9_7F4A_7C15  # odd: each column's hash stays in the row's (wrapping arithmetic)
_SECOND_HASH = np.uint64(0xD6E8_FEB8_6659_FD93)  # a second, independent mix of each row


def inputs_digest(ratings: pd.DataFrame, previous: pd.DataFrame | None, recipe: Mapping[str, Any]) -> str:
    """SHA-256 of the ratings (order-free), the previous round's ratings and the recipe (JSON, sorted keys).

    Each rating is one 64-bit row value of all its columns (ids, value, the expert's bloc, the scale), mixed
    by a bijective 64-bit hash twice with different keys; a frame counts by its number of rows and the two
    sums of those hashes (mod 2^64): a multiset hash, so no sort of the rows (it was a tenth of the job),
    and any change of a rating changes both sums unless two independent 64-bit hashes collide at once.
    """
    digest = hashlib.sha256()
    for frame in (ratings, previous):
        if frame is None:
            digest.update(b"no previous round;")
            continue
        rows = np.zeros(len(frame), dtype=np.uint64)
        for column in ("area", "criterion", "expert", "value", "bloc", "scale_min", "scale_max"):
            rows = rows * np.uint64(_ROW_MULTIPLIER) + _as_uint64(frame[column])
        sums = [
            pd.util.hash_array(rows).sum(dtype=np.uint64),
            pd.util.hash_array(rows ^ _SECOND_HASH).sum(dtype=np.uint64),
        ]
        digest.update(f";{len(rows)};{sums[0]};{sums[1]};".encode())
    digest.update(json.dumps(recipe, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _as_uint64(column: pd.Series) -> np.ndarray:
    """Integers as they are (wrapping), floats by their bits (NaN one pattern), anything else hashed (a
    categorical column hashes its categories once and takes them by code)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pd.util.hash_array(column.cat.categories.to_numpy(dtype=object))
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, categories[np.maximum(codes, 0)], np.uint64(0))
    values = column.to_numpy()
    if values.dtype.kind in "iub":
        return values.astype(np.uint64)
    if values.dtype.kind == "f":
        return np.where(np.isnan(values), np.nan, values).astype(np.float64).view(np.uint64)
    return pd.util.hash_array(values.astype(object))


def contributors_of(ratings: pd.DataFrame) -> list[int]:
    """The experts with at least one rating ("cannot judge" included: they are in n_cannot_judge)."""
    return sorted(int(expert) for expert in pd.unique(ratings["expert"]))


def current_run(round_id: int) -> AggregationRun | None:
    return AggregationRun.objects.filter(round_id=round_id, is_current=True).first()


def last_published_run(round_id: int) -> AggregationRun | None:
    return (
        AggregationRun.objects.filter(round_id=round_id, is_published=True)
        .order_by("-snapshot_revision", "-snapshot_read_at", "-id")
        .first()
    )


def newer_snapshot_stored(round_id: int, snapshot: Snapshot) -> bool:
    """Whether the round's current run read a newer snapshot than ``snapshot`` (a job that read it is late)."""
    current = current_run(round_id)
    stored = run_snapshot(current) if current else None
    return stored is not None and stored.key > snapshot.key


def adds_enough_contributors(contributors: Iterable[int], published: Iterable[int], *, min_group_size: int) -> bool:
    """The publication rule: at least k contributors who were not behind the last published view."""
    return len(set(contributors) - set(published)) >= min_group_size


def run_settle(*, run: AggregationRun, round_status: str, min_group_size: int) -> None:
    """Make a freshly written, done ``run`` current and published where the rules allow (see the docstring).

    Call under the round's results lock, in the transaction that wrote the run's rows, after ``run`` holds its
    snapshot and contributors (unsaved fields are saved here).
    """
    current = AggregationRun.objects.filter(round_id=run.round_id, is_current=True).exclude(pk=run.pk).first()
    ours = run_snapshot(run)
    theirs = run_snapshot(current) if current else None
    fields = ["is_current", "is_published", "published_at"]
    if current is not None and (ours is None or (theirs is not None and theirs.key >= ours.key)):
        run.is_current = run.is_published = False
        run.save(update_fields=fields)
        return
    if current is not None:
        AggregationRun.objects.filter(pk=current.pk).update(is_current=False)
    run.is_current = True
    if round_status == Round.Status.CLOSED:
        run.is_published = True
    else:
        published = last_published_run(run.round_id)
        run.is_published = adds_enough_contributors(
            run.contributors, published.contributors if published else [], min_group_size=min_group_size
        ) and not _rows_disclose(run, min_group_size=min_group_size)
    run.published_at = timezone.now() if run.is_published else None
    run.save(update_fields=fields)
    if round_status == Round.Status.CLOSED:
        _results_ready(run)


def _rows_disclose(run: AggregationRun, *, min_group_size: int) -> bool:
    """Whether a row the run would show differs by 1 to k - 1 raters from that row as last shown.

    k new contributors overall can still be one new expert in a bloc, or one on an item the others skipped:
    ``analysis.disclosure.difference_discloses`` compares every shown (item, group) row with its most
    recent shown version in any published run of the round (a row withheld in between is not forgotten).
    Two queries.
    """
    fields = ("area_id", "criterion_id", "group", "n")
    shown = {
        (area, criterion, group): n
        for area, criterion, group, n in ItemResult.objects.filter(run=run, suppressed=False).values_list(*fields)
    }
    earlier = (
        ItemResult.objects.filter(run__round_id=run.round_id, run__is_published=True, suppressed=False)
        .exclude(run=run)
        .order_by("run__published_at", "run_id")
        .values_list(*fields)
    )
    before = {(area, criterion, group): n for area, criterion, group, n in earlier}  # the latest wins
    return difference_discloses(before, shown, k=min_group_size)


def run_publish_final(*, run: AggregationRun) -> None:
    """Publish the current run of a closed round that a close job found already up to date."""
    if run.is_current and not run.is_published:
        AggregationRun.objects.filter(pk=run.pk).update(is_published=True, published_at=timezone.now())
        _results_ready(run)


def _results_ready(run: AggregationRun) -> None:
    """Tell the study's webhooks that a closed round's final results are stored and shown."""
    round_ = Round.objects.select_related("study").get(pk=run.round_id)
    webhook_event_record(
        study=round_.study,
        event=WebhookEvent.RESULTS_READY,
        data={"round": str(round_.uuid), "round_number": round_.number, "run": str(run.uuid) if run.uuid else None},
    )
