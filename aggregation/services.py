"""Aggregate one round: read its ratings in one snapshot, compute every result table, append them as a run.

``round_aggregate(round_id=..., run_id=...)`` is what the Celery task and the management command call.
A run's result rows are inserted in ONE transaction together with its "done" status and the decision
whether it becomes the round's current (and published) run (``aggregation.runs``), so readers see one
run's rows or another's, never a mix; nothing is deleted, and running it twice gives identical rows
(apart from ids and the run they point to). On PostgreSQL a transaction-level advisory lock per round
serialises the writes of two jobs of the same round; they never lock the round row, so answers keep flowing.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from aggregation import ratings_reader, result_rows, runs
from aggregation.code_version import code_version
from aggregation.models import AggregationRun
from aggregation.plan import PlanInForce, plan_in_force
from aggregation.quantities import QuantityInputs, pool_inputs, quantity_inputs, quantity_rows_insert
from analysis.compute import RoundResults, compute_with
from analysis.settings import AnalysisSettings
from analysis.verdicts import Thresholds
from elicitation.models import Round, Study

logger = logging.getLogger(__name__)

_ADVISORY_NAMESPACE = 0x436F_6F70  # "Coop": keeps these advisory lock keys apart from any other use
HOLD_NAMESPACE = 0x486F_6C64  # "Hold": a run's pause point between computing and writing (see pause_while_held)


def load_ratings(*, round_id: int, study_id: int) -> pd.DataFrame:
    """The round's counted ratings as the DataFrame ``analysis.summary`` expects (value NaN = cannot judge).

    Submitted answers only, unless the round's rule counts all saved answers (see ``counted_ratings``).
    """
    return ratings_reader.read_rounds([round_id], study_id=study_id)[round_id].ratings


def previous_round(round_: Round) -> Round | None:
    """The study's closest earlier round, whose ratings the stability columns compare against."""
    return Round.objects.filter(study_id=round_.study_id, number__lt=round_.number).order_by("-number").first()


def settings_of(plan: PlanInForce, criteria: Mapping[Any, tuple[str, str]]) -> AnalysisSettings:
    """The analysis settings of the plan in force; ``criteria`` maps criterion id to (code, kind)."""
    return AnalysisSettings.from_mapping(
        plan.content, criteria, rule_version=plan.rule.version if plan.rule is not None else None
    )


def thresholds_of(study: Study) -> Thresholds:
    """The study's verdict thresholds as its settings hold them (runs use their plan's: ``aggregation.plan``)."""
    return Thresholds(
        benefit=float(study.benefit_threshold),
        risk_low=float(study.risk_low_threshold),
        risk_safeguard=float(study.risk_safeguard_threshold),
        risk_avoid=float(study.risk_avoid_threshold),
    )


@dataclass(frozen=True)
class RoundInputs:
    """Everything a round's results are computed from, read in one consistent snapshot."""

    ratings: pd.DataFrame
    previous: pd.DataFrame | None
    settings: AnalysisSettings
    kinds: dict[object, str]
    snapshot: runs.Snapshot
    recipe: dict[str, Any]
    plan: PlanInForce
    quantities: QuantityInputs | None = None  # issue 19: the round's quantity answers (aggregation.quantities)


def read_inputs(round_: Round) -> RoundInputs:
    """The round's inputs, the plan in force and their snapshot numbers, all from one REPEATABLE READ transaction.

    Whose answers count is the plan's (``counted_ratings`` reads it in the same snapshot).
    """
    study = round_.study
    with runs.consistent_read():
        plan = plan_in_force(round_)
        earlier = previous_round(round_)
        found = ratings_reader.read_rounds([round_.pk, *([earlier.pk] if earlier else [])], study_id=study.pk)
        snapshot, ratings = found[round_.pk].snapshot, found[round_.pk].ratings
        previous = found[earlier.pk].ratings if earlier else None
        quantities = quantity_inputs(round_)  # issue 19: quantity answers, pooled as a separate step
        criteria = {pk: (code, kind) for pk, code, kind in study.criteria.values_list("id", "code", "kind")}
    kinds: dict[object, str] = {pk: kind for pk, (_code, kind) in criteria.items()}
    recipe = {
        "plan": [plan.version, plan.sha256],
        "rule": [plan.rule.pk, plan.rule.version] if plan.rule else None,
        "quantile_method": plan.quantile_method,
        "min_group_size": plan.min_group_size,
        "thresholds": asdict(plan.thresholds()),
        "kinds": sorted((int(str(key)), kind) for key, kind in kinds.items()),
        "previous_round": earlier.pk if earlier else None,
        "code_version": code_version(),
        "quantities": quantities.digest(),
    }
    return RoundInputs(
        ratings=ratings,
        previous=previous,
        settings=settings_of(plan, criteria),
        kinds=kinds,
        snapshot=snapshot,
        recipe=recipe,
        plan=plan,
        quantities=quantities,
    )


def compute_inputs(round_: Round, inputs: RoundInputs) -> RoundResults:
    return compute_with(inputs.ratings, inputs.settings, kinds=inputs.kinds, previous=inputs.previous)


def compute_for_round(round_: Round, *, timings: dict[str, float] | None = None) -> tuple[RoundResults, pd.DataFrame]:
    """Load and compute (no writes): the results and the ratings they came from; ``timings`` gets seconds."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    inputs = read_inputs(round_)
    timings["read"] = time.perf_counter() - start
    start = time.perf_counter()
    results = compute_inputs(round_, inputs)
    timings["compute"] = time.perf_counter() - start
    return results, inputs.ratings


def round_aggregate(
    *, round_id: int, run_id: int | None = None, trigger: str = AggregationRun.Trigger.COMMAND
) -> AggregationRun:
    """Compute and append the round's results as a new run; returns the run (done, skipped, or failed).

    A live job (trigger "ratings") does nothing once the round is closed: the close job stores the final
    results. Any job does nothing when a newer snapshot is already stored, and a live job does nothing when
    its inputs equal the current run's. A job whose snapshot turns out older than the current run's when it
    writes keeps its rows but does not become current (``aggregation.runs``). Failures are recorded on the
    run and re-raised.
    """
    with collector_paused():
        return _round_aggregate(round_id=round_id, run_id=run_id, trigger=trigger)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one job, back on (if it was on) after it.

    A job allocates tens of thousands of short-lived lists and dicts (JSON columns, result rows), each pass of
    the collector's oldest generation walks every object of the process, and reference counting frees all of
    the job's objects anyway: the passes cost time and free nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _round_aggregate(*, round_id: int, run_id: int | None, trigger: str) -> AggregationRun:
    round_ = Round.objects.select_related("study", "consensus_rule").get(pk=round_id)
    run = _start_run(round_, run_id=run_id, trigger=trigger)
    if run.is_finished:
        return run
    live = run.trigger == AggregationRun.Trigger.RATINGS
    timings: dict[str, float] = {}
    try:
        if live and round_.status == Round.Status.CLOSED:
            return _skip(run, "the round is closed: its close job stores the final results")
        start = time.perf_counter()
        inputs = read_inputs(round_)
        timings["read"] = time.perf_counter() - start
        digest = runs.inputs_digest(inputs.ratings, inputs.previous, inputs.recipe)
        _record_snapshot(run, inputs, digest)
        if runs.newer_snapshot_stored(round_id, inputs.snapshot):
            return _skip(run, "a newer snapshot is already stored")
        current = runs.current_run(round_id)
        if live and current is not None and current.inputs_digest == digest:
            return _skip(run, f"the inputs equal those of run {current.pk}")
        start = time.perf_counter()
        results = compute_inputs(round_, inputs)
        # --- issue 19: pooling of quantity answers (aggregation.quantities), a step of its own ---
        k = round_.study.min_group_size
        pooled = pool_inputs(inputs.quantities, min_group_size=k) if inputs.quantities else None
        # --- end of the quantity step ---
        timings["compute"] = time.perf_counter() - start
        pause_while_held(run.pk)
        start = time.perf_counter()
        with transaction.atomic():
            _lock_round_results(round_id)
            status = Round.objects.filter(pk=round_id).values_list("status", flat=True).get()
            if live and status == Round.Status.CLOSED:
                closed = True
            else:
                closed = False
                _insert_rows(run, results)
                if pooled is not None:  # issue 19: the quantity step's rows, in the run's transaction
                    quantity_rows_insert(run, pooled)
                run.status = AggregationRun.Status.DONE
                run.finished_at = timezone.now()
                run.error = ""
                run.save(update_fields=["status", "finished_at", "error"])
                runs.run_settle(run=run, round_status=status, min_group_size=inputs.plan.min_group_size)
        if closed:
            return _skip(run, "the round closed while it computed: its close job stores the final results")
        timings["write"] = time.perf_counter() - start
    except Exception as error:
        logger.exception("aggregation of round %s failed", round_id)
        AggregationRun.objects.filter(pk=run.pk).update(
            status=AggregationRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
        raise
    logger.info(
        "aggregated round %s: %d ratings; read %.2f s, compute %.2f s, write %.2f s; current %s, published %s",
        round_id,
        len(inputs.ratings),
        timings["read"],
        timings["compute"],
        timings["write"],
        run.is_current,
        run.is_published,
    )
    return run


def _record_snapshot(run: AggregationRun, inputs: RoundInputs, digest: str) -> None:
    """The snapshot the run read and the plan it computes with (version, hash, its rule and quantile method)."""
    plan = inputs.plan
    run.snapshot_revision = inputs.snapshot.revision
    run.snapshot_read_at = inputs.snapshot.read_at
    run.ratings_count = inputs.snapshot.count
    run.ratings_as_of = inputs.snapshot.latest
    run.inputs_digest = digest
    run.contributors = runs.contributors_of(inputs.ratings)
    run.plan_version = plan.version
    run.plan_sha256 = plan.sha256
    run.consensus_rule = plan.rule
    run.rule_version = plan.rule.version if plan.rule else None
    run.quantile_method = plan.quantile_method
    run.save(
        update_fields=[
            "snapshot_revision", "snapshot_read_at", "ratings_count", "ratings_as_of", "inputs_digest", "contributors",
            "plan_version", "plan_sha256", "consensus_rule", "rule_version", "quantile_method",
        ]
    )  # fmt: skip


def _skip(run: AggregationRun, reason: str) -> AggregationRun:
    logger.info("aggregation run %s of round %s skipped: %s", run.pk, run.round_id, reason)
    run.status = AggregationRun.Status.SKIPPED
    run.finished_at = timezone.now()
    run.error = reason
    run.save(update_fields=["status", "finished_at", "error"])
    return run


def _start_run(round_: Round, *, run_id: int | None, trigger: str) -> AggregationRun:
    now = timezone.now()
    rule = round_.consensus_rule
    recipe = {
        "status": AggregationRun.Status.RUNNING,
        "started_at": now,
        "finished_at": None,
        "consensus_rule": rule,
        "rule_version": rule.version if rule else None,
        "quantile_method": round_.study.quantile_method,
        "code_version": code_version(),
    }
    run = AggregationRun.objects.filter(pk=run_id, round=round_).first() if run_id else None
    if run is not None and run.status in {AggregationRun.Status.DONE, AggregationRun.Status.SKIPPED}:
        return run  # a redelivery after the work was committed: nothing left to do
    if run is None:
        return AggregationRun.objects.create(
            round=round_, trigger=trigger, requested_at=now, dispatched_at=now, **recipe
        )
    for name, value in recipe.items():
        setattr(run, name, value)
    run.save(update_fields=list(recipe))
    return run


def pause_while_held(run_id: int) -> None:
    """Wait here, after reading and computing and before writing, while another session holds the run's hold lock.

    Nobody holds it in normal operation, so this costs one round trip. It lets a test (or an operator
    reproducing a report) stop one particular job at exactly the point where a slow job is dangerous, with a
    PostgreSQL advisory lock instead of signals or sleeps: ``pg_advisory_lock(HOLD_NAMESPACE, run_id)``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [HOLD_NAMESPACE, run_id % 2**31])


def _lock_round_results(round_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, round_id])


def _insert_rows(run: AggregationRun, results: RoundResults) -> None:
    result_rows.write_rows(run, results)
