"""Aggregate one round: read its ratings in one snapshot, compute every result table, append them as a run.

``round_aggregate(round_id=..., run_id=...)`` is what the Celery task and the management command call.
A run's result rows are inserted in ONE transaction together with its "done" status and the decision
whether it becomes the round's current (and published) run (``aggregation.runs``), so readers see one
run's rows or another's, never a mix; nothing is deleted, and running it twice gives identical rows
(apart from ids and the run they point to). On PostgreSQL a transaction-level advisory lock per round
serialises the writes of two jobs of the same round; they never lock the round row, so answers keep flowing.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from aggregation import runs
from aggregation.code_version import code_version
from aggregation.compute import RoundResults, compute_round
from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from aggregation.rules import RuleSet
from aggregation.summary import RATING_COLUMNS
from aggregation.verdicts import Thresholds
from elicitation.models import Criterion, Expert, Round, Study
from elicitation.selectors_rounds import counted_ratings
from quantities.aggregate import QuantityInputs, pool_inputs, quantity_inputs, quantity_rows_insert

logger = logging.getLogger(__name__)

_ADVISORY_NAMESPACE = 0x436F_6F70  # "Coop": keeps these advisory lock keys apart from any other use
HOLD_NAMESPACE = 0x486F_6C64  # "Hold": a run's pause point between computing and writing (see pause_while_held)


def load_ratings(*, round_id: int, study_id: int) -> pd.DataFrame:
    """The round's counted ratings as the DataFrame ``aggregation.summary`` expects (value NaN = cannot judge).

    Submitted answers only, unless the round's rule counts all saved answers (see ``counted_ratings``).
    """
    counted = counted_ratings(round_id)
    rows = list(counted.values_list("area_id", "criterion_id", "expert_id", "value"))
    # Column by column is several times faster than DataFrame.from_records on 600,000 tuples.
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    frame = pd.DataFrame(
        {
            "area": np.array(columns[0], dtype=np.int64),
            "criterion": np.array(columns[1], dtype=np.int64),
            "expert": np.array(columns[2], dtype=np.int64),
            "value": np.array(columns[3], dtype=np.float64),  # None (cannot judge) becomes NaN
        }
    )
    blocs = dict(Expert.objects.filter(study_id=study_id).values_list("id", "bloc"))
    scales = {c["id"]: c for c in Criterion.objects.filter(study_id=study_id).values("id", "scale_min", "scale_max")}
    frame["bloc"] = frame["expert"].map(blocs).astype(object)
    frame["scale_min"] = frame["criterion"].map({k: v["scale_min"] for k, v in scales.items()}).astype("int64")
    frame["scale_max"] = frame["criterion"].map({k: v["scale_max"] for k, v in scales.items()}).astype("int64")
    return frame[list(RATING_COLUMNS)]


def previous_round(round_: Round) -> Round | None:
    """The study's closest earlier round, whose ratings the stability columns compare against."""
    return Round.objects.filter(study_id=round_.study_id, number__lt=round_.number).order_by("-number").first()


def rule_of(round_: Round) -> RuleSet | None:
    """The round's frozen rule with its per-kind and per-criterion parts (one query for the criteria)."""
    rule = round_.consensus_rule
    if rule is None:
        return None
    criteria = Criterion.objects.filter(study_id=round_.study_id).values_list("id", "code", "kind")
    return RuleSet.from_rule(rule, {pk: (code, kind) for pk, code, kind in criteria})


def divide_threshold_of(round_: Round) -> float | None:
    rule = round_.consensus_rule
    return float(rule.divide_threshold) if rule is not None else None


def thresholds_of(study: Study) -> Thresholds:
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
    rule: RuleSet | None
    kinds: dict[object, str]
    snapshot: runs.Snapshot
    recipe: dict[str, Any]
    quantities: QuantityInputs | None = None  # issue 19: the round's quantity answers (quantities.aggregate)


def read_inputs(round_: Round) -> RoundInputs:
    """The round's inputs and their snapshot numbers, all from one REPEATABLE READ transaction."""
    study = round_.study
    with runs.consistent_read():
        snapshot = runs.read_snapshot(round_.pk)
        ratings = load_ratings(round_id=round_.pk, study_id=study.pk)
        earlier = previous_round(round_)
        previous = load_ratings(round_id=earlier.pk, study_id=study.pk) if earlier else None
        kinds: dict[object, str] = dict(Criterion.objects.filter(study=study).values_list("id", "kind"))
        rule_set = rule_of(round_)
        quantities = quantity_inputs(round_)  # issue 19: quantity answers, pooled as a separate step
    rule = round_.consensus_rule
    recipe = {
        "rule": [rule.pk, rule.version] if rule else None,
        "quantile_method": study.quantile_method,
        "min_group_size": study.min_group_size,
        "thresholds": asdict(thresholds_of(study)),
        "kinds": sorted((int(str(key)), kind) for key, kind in kinds.items()),
        "previous_round": earlier.pk if earlier else None,
        "code_version": code_version(),
        "quantities": quantities.digest(),
    }
    return RoundInputs(
        ratings=ratings,
        previous=previous,
        rule=rule_set,
        kinds=kinds,
        snapshot=snapshot,
        recipe=recipe,
        quantities=quantities,
    )


def compute_inputs(round_: Round, inputs: RoundInputs) -> RoundResults:
    study = round_.study
    return compute_round(
        inputs.ratings,
        method=study.quantile_method,
        rule=inputs.rule,
        min_group_size=study.min_group_size,
        kinds=inputs.kinds,
        thresholds=thresholds_of(study),
        previous=inputs.previous,
        divide_threshold=divide_threshold_of(round_),
    )


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
        # --- issue 19: pooling of quantity answers (quantities.aggregate), a step of its own ---
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
                runs.run_settle(run=run, round_status=status, min_group_size=round_.study.min_group_size)
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
    run.snapshot_revision = inputs.snapshot.revision
    run.snapshot_read_at = inputs.snapshot.read_at
    run.ratings_count = inputs.snapshot.count
    run.ratings_as_of = inputs.snapshot.latest
    run.inputs_digest = digest
    run.contributors = runs.contributors_of(inputs.ratings)
    run.save(
        update_fields=[
            "snapshot_revision", "snapshot_read_at", "ratings_count", "ratings_as_of", "inputs_digest", "contributors"
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


def _clean(value: Any) -> Any:
    """NaN -> None for the database; numpy scalars -> Python."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [
        {name: _clean(value) for name, value in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


ITEM_FIELDS = [
    "n", "n_cannot_judge", "suppressed", "mean", "sd", "median", "q1", "q3", "iqr", "cv", "pct_low", "pct_mid",
    "pct_high", "cns", "vde_a", "bimodality", "p30", "p70", "ipr", "ipras", "rand_class", "ipras_disagreement",
    "classic_disagreement", "consensus", "consensus_band", "stability_pairs", "delta_cv", "wilcoxon_statistic",
    "wilcoxon_p", "changed_share",
]  # fmt: skip
CRITERION_FIELDS = [
    "n_areas", "kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "kendall_raters", "alpha_ordinal",
    "alpha_interval",
]  # fmt: skip
CROSS_BLOC_FIELDS = [
    "panel_consensus", "consensus_in_every_bloc", "blocs_compared", "blocs_without_consensus", "blocs_suppressed",
    "bloc_ends", "group_medians", "max_median_difference", "kruskal_h", "kruskal_p", "pairwise", "bloc_a",
    "bloc_b", "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm", "split_reason", "verdict",
]  # fmt: skip
VERDICT_FIELDS = [
    "group",
    "verdict",
    "min_benefit_median",
    "max_risk_median",
    "benefits_agreed",
    "risks_agreed",
    "detail",
]


def _insert_rows(run: AggregationRun, results: RoundResults) -> None:
    round_id = run.round_id
    distributions = results.distributions
    common = {"run": run, "round_id": round_id}
    ItemResult.objects.bulk_create(
        (
            ItemResult(
                area_id=r["area"],
                criterion_id=r["criterion"],
                group=r["group"],
                # A suppressed row keeps no distribution, as it keeps no statistic.
                value_counts=[] if r["suppressed"] else distributions.get((r["area"], r["criterion"], r["group"]), []),
                **common,
                **_fields(r, ITEM_FIELDS),
            )
            for r in _records(results.items, ["area", "criterion", "group", *ITEM_FIELDS])
        ),
        batch_size=2000,
    )
    CriterionAgreement.objects.bulk_create(
        CriterionAgreement(criterion_id=r["criterion"], **common, **_fields(r, CRITERION_FIELDS))
        for r in _records(results.criteria, ["criterion", *CRITERION_FIELDS])
    )
    CrossBloc.objects.bulk_create(
        (
            CrossBloc(area_id=r["area"], criterion_id=r["criterion"], **common, **_fields(r, CROSS_BLOC_FIELDS))
            for r in _records(results.cross_bloc, ["area", "criterion", *CROSS_BLOC_FIELDS])
        ),
        batch_size=2000,
    )
    AreaVerdict.objects.bulk_create(
        AreaVerdict(area_id=r["area"], **common, **_fields(r, VERDICT_FIELDS))
        for r in _records(results.verdicts, ["area", *VERDICT_FIELDS])
    )


def _fields(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    fields = {name: record[name] for name in names}
    for name in ("rand_class", "consensus_band", "split_reason"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields
