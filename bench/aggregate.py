"""Benchmark of the aggregation job on a synthetic study (a benchmark, not a test: nothing here asserts).

Generates a study of ``--experts`` x ``--areas`` x ``--criteria`` (default 1,000 x 100 x 6 = 600,000 ratings)
in the configured database (DATABASE_URL; use PostgreSQL), then measures:

- the whole job as the worker runs it (``aggregation.services.round_aggregate``: read, compute, write);
- its parts: reading the ratings, computing every result table, writing the rows;
- the compute step alone (best of ``--repeat``), and its peak traced memory (tracemalloc) in a separate run;
- the peak resident memory of the process (``resource.getrusage``);
- a naive baseline on the same DataFrame: ``groupby().apply()`` with numpy/scipy per group computing the
  same columns (and a Mann-Whitney test per item), and the speed-up of the vectorised code over it;

and prints them against the targets (compute < 2 s, whole job < 10 s, peak < 1 GiB, >= 10x the baseline).
``--previous-round`` adds an earlier round so the stability columns are computed too. With it,
``--stability-ratio N`` also runs the whole job N times with the previous round and N times without it
(the same job, ``previous_round`` answering None), interleaved, and prints both medians, their ratio and
the load average: what stability costs. The live-round case is ``--experts 30 --areas 4 --criteria 6``.
The synthetic study is deleted afterwards unless ``--keep``.

    DATABASE_URL=postgres://... DEBUG=1 .venv/bin/python -m bench.aggregate [--experts 1000 --areas 100 ...]
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")

TARGETS = {"compute_s": 2.0, "job_s": 10.0, "peak_mib": 1024.0, "speedup": 10.0, "floor": 3.0, "previous": 1.3}
BLOCS = ["United States", "China", "Europe", "Other"]


def setup_django() -> None:
    import django

    django.setup()


def make_synthetic_study(*, experts: int, areas: int, criteria: int, rounds: int, seed: int) -> tuple[Any, list[Any]]:
    """A closed study with ``rounds`` rounds of complete ratings (3% cannot judge), loaded with COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from elicitation.models import Area, ConsensusRule, Criterion, Expert, Participation, Round, RoundItem, Study

    rng = np.random.default_rng(seed)
    now = timezone.now()
    with transaction.atomic():
        study = Study.objects.create(title=f"Benchmark {experts}x{areas}x{criteria}", template="bench")
        rule = ConsensusRule.objects.create(
            study=study, version=1, max_iqr=1, band="high", min_percent_in_band=70, frozen_at=now
        )
        area_rows = Area.objects.bulk_create(
            Area(study=study, code=f"area-{i}", title=f"Area {i}", order=i) for i in range(areas)
        )
        criterion_rows = Criterion.objects.bulk_create(
            Criterion(
                study=study,
                code=f"{'B' if i % 2 == 0 else 'R'}{i}",
                title=f"Criterion {i}",
                kind="benefit" if i % 2 == 0 else "risk",
                order=i,
            )
            for i in range(criteria)
        )
        expert_rows = Expert.objects.bulk_create(
            Expert(
                study=study,
                number=i + 1,
                email=f"e{i}@bench.invalid",
                email_key=f"e{i}@bench.invalid",
                bloc=BLOCS[i % 4],
            )
            for i in range(experts)
        )
    area_ids = np.array([a.pk for a in area_rows])
    criterion_ids = np.array([c.pk for c in criterion_rows])
    expert_ids = np.array([e.pk for e in expert_rows])
    # Each item has its own centre and spread; each bloc leans a little, so blocs differ on some items.
    centres = rng.uniform(1.5, 8.5, size=(areas, criteria))
    spreads = rng.uniform(0.5, 2.5, size=(areas, criteria))
    leaning = rng.normal(0, 0.7, size=(4, areas, criteria))
    round_rows = []
    for number in range(1, rounds + 1):
        round_ = Round.objects.create(
            study=study, number=number, status=Round.Status.CLOSED, opened_at=now, closed_at=now, consensus_rule=rule
        )
        RoundItem.objects.bulk_create(
            RoundItem(round=round_, area=a, criterion=c) for a in area_rows for c in criterion_rows
        )
        grid = np.meshgrid(np.arange(experts), np.arange(areas), np.arange(criteria), indexing="ij")
        e, a, c = (axis.ravel() for axis in grid)
        raw = centres[a, c] + leaning[e % 4, a, c] + rng.normal(0, 1, e.size) * spreads[a, c]
        values = np.clip(np.rint(raw), 1, 9).astype(np.int64)
        cannot = rng.random(e.size) < 0.03
        frame = pd.DataFrame(
            {
                "round_id": round_.pk,
                "expert_id": expert_ids[e],
                "area_id": area_ids[a],
                "criterion_id": criterion_ids[c],
                "value": pd.Series(values, dtype="Int64").mask(cannot),
                "cannot_judge": np.where(cannot, "t", "f"),
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
            }
        )
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, na_rep="\\N")
        with transaction.atomic(), connection.cursor() as cursor:
            columns = "round_id, expert_id, area_id, criterion_id, value, cannot_judge, created_at, updated_at"
            with cursor.cursor.copy(
                f"COPY elicitation_rating ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            ) as copy:
                copy.write(buffer.getvalue())
        Participation.objects.bulk_create(
            Participation(round=round_, expert=expert, invited_at=now, submitted_at=now) for expert in expert_rows
        )  # results count submitted answers
        round_rows.append(round_)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE elicitation_rating")  # a bulk load leaves the planner without statistics
    return study, round_rows


def delete_study(study: Any) -> None:
    """Delete the synthetic study; PROTECT foreign keys need the rows removed from the leaves up."""
    from django.db import transaction

    from aggregation.models import AggregationRun
    from elicitation.models import Participation, Rating, Round, RoundItem

    with transaction.atomic():
        Rating.objects.filter(round__study=study)._raw_delete(Rating.objects.db)
        AggregationRun.objects.filter(round__study=study).delete()
        RoundItem.objects.filter(round__study=study).delete()
        Participation.objects.filter(round__study=study).delete()
        Round.objects.filter(study=study).delete()
        study.delete()


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def naive_compute(
    ratings: pd.DataFrame,
    *,
    method: str,
    rule: Any,
    min_group_size: int,
    kinds: dict[Any, str],
    thresholds: Any,
    previous: pd.DataFrame | None,
) -> Any:
    """The baseline: the same result tables, with a Python function per group through groupby().apply()."""
    from scipy import stats

    from analysis import metrics
    from analysis.compute import RoundResults, criterion_agreement
    from analysis.crossbloc import CROSS_BLOC_COLUMNS
    from analysis.disclosure import mark_suppressed
    from analysis.rules import consensus
    from analysis.verdicts import area_verdicts

    panel = ratings.assign(group="")
    blocs = ratings.assign(group=ratings["bloc"])
    long = pd.concat([panel, blocs], ignore_index=True)
    if previous is not None:
        long = long.merge(
            previous[["area", "criterion", "expert", "value"]].rename(columns={"value": "previous"}),
            on=["area", "criterion", "expert"],
            how="left",
        )
    else:
        long["previous"] = np.nan

    def one_item(group: pd.DataFrame) -> pd.Series:
        values = group["value"].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        low, high = int(group["scale_min"].iloc[0]), int(group["scale_max"].iloc[0])
        n = present.size
        out: dict[str, Any] = {"n": n, "n_cannot_judge": values.size - n}
        out["mean"] = float(np.mean(present)) if n else np.nan
        out["sd"] = float(np.std(present, ddof=1)) if n > 1 else np.nan
        out["median"] = metrics.quantile(present, 0.5, method)
        out["q1"] = metrics.quantile(present, 0.25, method)
        out["q3"] = metrics.quantile(present, 0.75, method)
        out["iqr"] = out["q3"] - out["q1"]
        out["cv"] = metrics.coefficient_of_variation(present)
        thirds = metrics.band_counts(present, low, high)
        out["pct_low"], out["pct_mid"], out["pct_high"] = thirds["low"], thirds["middle"], thirds["high"]
        counts = metrics.category_counts(present, low, high)
        out["cns"] = metrics.tastle_wierman(counts)
        out["vde_a"] = metrics.van_der_eijk(counts)
        if n >= 4 and np.ptp(present) > 0:
            skew = stats.skew(present, bias=False)
            kurt = stats.kurtosis(present, bias=False)
            out["bimodality"] = (skew**2 + 1) / (kurt + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
        else:
            out["bimodality"] = np.nan
        rand = metrics.ipras(present, method)
        out |= {"p30": rand["p30"], "p70": rand["p70"], "ipr": rand["ipr"], "ipras": rand["ipras"]}
        out["rand_class"] = metrics.rand_classification(present, method) or ""
        out["ipras_disagreement"] = rand["disagreement"] if n else None
        out["classic_disagreement"] = metrics.rand_classic_disagreement(present) if n else None
        paired = group["previous"].to_numpy(dtype=float)
        stability = metrics.stability(paired, values)
        out["stability_pairs"] = stability["n_pairs"]
        out |= {k: stability[k] for k in ("delta_cv", "wilcoxon_statistic", "wilcoxon_p", "changed_share")}
        return pd.Series(out)

    by_group: Any = long.groupby(["area", "criterion", "group"], sort=True)
    summary = by_group.apply(one_item, include_groups=False).reset_index()
    summary["consensus"] = consensus(summary, rule)
    summary = mark_suppressed(summary, min_group_size)

    def one_crossing(item: Any) -> pd.Series:
        rows = summary_by_item.get_group(item.name)
        blocs_rows = rows[rows["group"] != ""]
        compared = blocs_rows[blocs_rows["n"] >= min_group_size].sort_values(["n", "group"], ascending=[False, True])
        out: dict[str, Any] = {"blocs_compared": list(compared["group"])}
        if len(compared) >= 2:
            a, b = compared["group"].iloc[0], compared["group"].iloc[1]
            va = item.loc[item["bloc"] == a, "value"].dropna().to_numpy()
            vb = item.loc[item["bloc"] == b, "value"].dropna().to_numpy()
            test = stats.mannwhitneyu(va, vb, alternative="two-sided")
            out |= {
                "bloc_a": a,
                "bloc_b": b,
                "mann_whitney_u": float(test.statistic),
                "mann_whitney_p": float(test.pvalue),
            }
        shown = compared[~compared["suppressed"].astype(bool)]
        out["group_medians"] = dict(zip(shown["group"], shown["median"], strict=True))
        out["panel_consensus"] = rows.loc[rows["group"] == "", "consensus"].iloc[0]
        out["verdict"] = "shared" if (compared["consensus"] == True).all() else "divided"  # noqa: E712
        return pd.Series(out)

    summary_by_item = summary.groupby(["area", "criterion"])
    by_item: Any = ratings.groupby(["area", "criterion"])
    crossing = by_item.apply(one_crossing, include_groups=False).reset_index()
    crossing = crossing.reindex(columns=list(CROSS_BLOC_COLUMNS))
    return RoundResults(
        items=summary,
        criteria=criterion_agreement(ratings),
        cross_bloc=crossing,
        verdicts=area_verdicts(summary, kinds, thresholds),
    )


def floor(round_ids: list[int], run_id: int) -> None:
    floor_scan(round_ids)
    floor_write(run_id)


def floor_scan(round_ids: list[int]) -> None:
    """The least any read can do: PostgreSQL scans the four columns of every rating of the rounds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(area_id), sum(criterion_id), sum(expert_id), sum(value) FROM elicitation_rating"
            " WHERE round_id = ANY(%s)",
            [round_ids],
        )
        cursor.fetchone()


def floor_write(run_id: int) -> None:
    """The least any write can do: COPY as many rows as ``run_id`` has into the four tables, keys only (the
    other columns null or trivial), check the deferred foreign keys, and roll back."""
    from django.db import connection, transaction

    from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult

    class Discard(Exception):
        pass

    source = AggregationRun.objects.get(pk=run_id)
    try:
        with transaction.atomic():
            run = AggregationRun.objects.create(round_id=source.round_id, requested_at=source.requested_at)
            for model, keys in (
                (ItemResult, ["area_id", "criterion_id", "group"]),
                (CriterionAgreement, ["criterion_id"]),
                (CrossBloc, ["area_id", "criterion_id"]),
                (AreaVerdict, ["area_id", "group"]),
            ):
                names, trivial = _empty_columns(model, keys)
                columns = ", ".join(connection.ops.quote_name(name) for name in ["run_id", "round_id", *keys, *names])
                statement = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
                rows = list(model._default_manager.filter(run_id=run_id).values_list(*keys))  # before the COPY
                with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row((run.pk, run.round_id, *row, *trivial))
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise Discard
    except Discard:
        pass


def _empty_columns(model: Any, keys: list[str]) -> tuple[list[str], list[Any]]:
    """The NOT NULL columns besides the keys, each with the simplest value its type takes."""
    from django.db import models

    names: list[str] = []
    values: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.attname in {"run_id", "round_id", *keys}:
            continue
        names.append(field.column)
        if isinstance(field, models.JSONField):
            values.append("[]")
        elif isinstance(field, models.BooleanField):
            values.append(False)
        elif isinstance(field, models.CharField):
            values.append("")
        else:
            values.append(0)
    return names, values


def floor_ratios(round_rows: list[Any], *, repeat: int) -> dict[str, float]:
    """Interleaved medians of the floor and the whole job, one round and with the previous round; the ratios."""
    from unittest import mock

    from aggregation import services

    round_ = round_rows[-1]
    both = [row.pk for row in round_rows]
    samples: dict[str, list[float]] = {name: [] for name in ("floor_1", "job_1", "floor_2", "job_2")}
    load_before = os.getloadavg()[0]
    for _ in range(repeat):
        gc.collect()
        with mock.patch.object(services, "previous_round", return_value=None):
            seconds, run = timed(lambda: services.round_aggregate(round_id=round_.pk))
        samples["job_1"].append(seconds)
        samples["floor_1"].append(timed(partial(floor, [round_.pk], run.pk))[0])
        if len(round_rows) > 1:
            gc.collect()
            seconds, run = timed(lambda: services.round_aggregate(round_id=round_.pk))
            samples["job_2"].append(seconds)
            samples["floor_2"].append(timed(partial(floor, both, run.pk))[0])
    load_after = os.getloadavg()[0]
    figures = {name: statistics.median(values) for name, values in samples.items() if values}
    print(f"median of {repeat}, interleaved (1-minute load average {load_before:.1f} before, {load_after:.1f} after):")
    figures["floor_ratio_1"] = figures["job_1"] / figures["floor_1"]
    print(
        f"  one round:  job {figures['job_1']:.3f} s, floor {figures['floor_1']:.3f} s"
        f" -> {figures['floor_ratio_1']:.2f}x its floor"
    )
    if "job_2" in figures:
        figures["floor_ratio_2"] = figures["job_2"] / figures["floor_2"]
        figures["previous_ratio"] = figures["job_2"] / figures["job_1"]
        print(
            f"  with the previous round: job {figures['job_2']:.3f} s, floor {figures['floor_2']:.3f} s"
            f" -> {figures['floor_ratio_2']:.2f}x its floor; {figures['previous_ratio']:.2f}x the one-round job"
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=1000)
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--criteria", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the compute step; the best is reported")
    parser.add_argument("--previous-round", action="store_true", help="add an earlier round (stability columns)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--floor", type=int, default=5, metavar="N", help="N interleaved runs of the job and its floor (0: none)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the synthetic study (and reuse a kept one)")
    args = parser.parse_args(argv)
    setup_django()

    from django.db import connection
    from django.db.models import Count

    from aggregation import services
    from analysis.compute import compute_round
    from analysis.rules import RuleParts
    from elicitation.models import Criterion

    print(f"database: {connection.vendor}; python {platform.python_version()}; {os.cpu_count()} cores")
    rounds = 2 if args.previous_round else 1
    from elicitation.models import Study

    title = f"Benchmark {args.experts}x{args.areas}x{args.criteria}"
    kept = Study.objects.filter(template="bench", title=title).annotate(round_count=Count("rounds")).first()
    if args.keep and kept is not None and kept.round_count == rounds:
        study, round_rows = kept, list(kept.rounds.order_by("number"))
        print(f"reusing the kept study {study.pk}")
    else:
        for leftover in Study.objects.filter(template="bench"):  # from an interrupted earlier run
            delete_study(leftover)
        seconds, (study, round_rows) = timed(
            lambda: make_synthetic_study(
                experts=args.experts, areas=args.areas, criteria=args.criteria, rounds=rounds, seed=args.seed
            )
        )
        size = args.experts * args.areas * args.criteria
        print(f"generated {rounds} round(s) of {size:,} ratings in {seconds:.1f} s")
    round_ = round_rows[-1]
    figures: dict[str, float] = {}
    try:
        gc.collect()
        figures["job_s"], run = timed(lambda: services.round_aggregate(round_id=round_.pk))
        print(
            f"whole job (read, compute, write): {figures['job_s']:.2f} s  [{run.ratings_count:,} ratings, run {run.pk}]"
        )

        if args.floor:
            figures |= floor_ratios(round_rows, repeat=args.floor)

        figures["read_s"], ratings = timed(lambda: services.load_ratings(round_id=round_.pk, study_id=study.pk))
        previous = services.load_ratings(round_id=round_rows[0].pk, study_id=study.pk) if args.previous_round else None
        kinds = dict(Criterion.objects.filter(study=study).values_list("id", "kind"))
        options: dict[str, Any] = {
            "method": study.quantile_method,
            "rule": RuleParts.from_rule(round_.consensus_rule),
            "min_group_size": study.min_group_size,
            "kinds": kinds,
            "thresholds": services.thresholds_of(study),
            "previous": previous,
        }
        runs = []
        for _ in range(args.repeat):
            gc.collect()
            seconds, results = timed(lambda: compute_round(ratings, **options))
            runs.append(seconds)
        figures["compute_s"] = min(runs)
        print(f"read ratings: {figures['read_s']:.2f} s")
        print(f"compute alone: best {min(runs):.3f} s, median {statistics.median(runs):.3f} s of {len(runs)}")
        tracemalloc.start()
        compute_round(ratings, **options)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures["compute_peak_mib"] = peak / 2**20
        figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"compute peak traced memory: {figures['compute_peak_mib']:.0f} MiB")
        print(f"process peak RSS (whole run incl. generation): {figures['peak_mib']:.0f} MiB")
        counts = (len(results.items), len(results.cross_bloc), len(results.verdicts))
        print("result rows: {:,} item rows, {:,} cross-bloc, {:,} verdicts".format(*counts))

        if not args.no_baseline:
            figures["baseline_s"], naive = timed(lambda: naive_compute(ratings, **options))
            figures["speedup"] = figures["baseline_s"] / figures["compute_s"]
            typical = figures["baseline_s"] / statistics.median(runs)
            print(
                f"naive groupby().apply() baseline: {figures['baseline_s']:.2f} s -> {figures['speedup']:.0f}x the best"
                f" compute, {typical:.0f}x the median"
            )
            fast = results.items.set_index(["area", "criterion", "group"]).sort_index()
            slow = naive.items.set_index(["area", "criterion", "group"]).sort_index()
            for column in ("n", "mean", "sd", "median", "iqr", "cns", "vde_a", "bimodality", "ipr", "wilcoxon_p"):
                np.testing.assert_allclose(
                    fast[column].astype(float), slow[column].astype(float), rtol=1e-9, equal_nan=True
                )
            fast_mw = results.cross_bloc.set_index(["area", "criterion"]).sort_index()["mann_whitney_p"]
            slow_mw = naive.cross_bloc.set_index(["area", "criterion"]).sort_index()["mann_whitney_p"]
            np.testing.assert_allclose(fast_mw.astype(float), slow_mw.astype(float), rtol=1e-9, equal_nan=True)
            print("baseline and vectorised results agree (rtol 1e-9)")
    finally:
        if not args.keep:
            delete_study(study)

    checks = {
        "compute < 2 s": figures["compute_s"] < TARGETS["compute_s"],
        "whole job < 10 s": figures["job_s"] < TARGETS["job_s"],
        "peak < 1 GiB": figures["peak_mib"] < TARGETS["peak_mib"],
    }
    if "speedup" in figures:
        checks[">= 10x baseline"] = figures["speedup"] >= TARGETS["speedup"]
    for name in ("floor_ratio_1", "floor_ratio_2"):
        if name in figures:
            checks[f"{name.replace('_', ' ')} <= 3x"] = figures[name] <= TARGETS["floor"]
    if "previous_ratio" in figures:
        checks["previous round <= 1.3x one round"] = figures["previous_ratio"] <= TARGETS["previous"]
    for name, ok in checks.items():
        print(f"{'met' if ok else 'MISSED'}: {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
