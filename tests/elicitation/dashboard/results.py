"""Result rows built directly (as the aggregation job would store them), so the dashboard is tested alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from elicitation.models import Round, Study
from tests.factories import make_experts, make_round, make_study


def make_run(round_: Round, *, status: str = AggregationRun.Status.DONE, minutes_ago: int = 5) -> AggregationRun:
    """A run of ``round_``; a done one reads a newer snapshot than the round's runs so far and is shown."""
    when = timezone.now() - timedelta(minutes=minutes_ago)
    done = status == AggregationRun.Status.DONE
    runs = AggregationRun.objects.filter(round=round_)
    newest = runs.aggregate(newest=Max("snapshot_revision"))["newest"] or 0
    if done:
        runs.update(is_current=False)
    return AggregationRun.objects.create(
        round=round_,
        status=status,
        requested_at=when,
        started_at=when if status != AggregationRun.Status.QUEUED else None,
        finished_at=when + timedelta(seconds=2) if done else None,
        consensus_rule=round_.consensus_rule,
        rule_version=round_.consensus_rule.version if round_.consensus_rule else None,
        quantile_method="weibull",
        code_version="0.1.0",
        snapshot_revision=newest + 1 if done else None,
        snapshot_read_at=when if done else None,
        is_current=done,
        is_published=done,
        published_at=when + timedelta(seconds=2) if done else None,
    )


def _stats(median: float, iqr: float, **extra: Any) -> dict[str, Any]:
    return {
        "n": 8,
        "n_cannot_judge": 0,
        "mean": median,
        "sd": iqr / 1.35,
        "median": median,
        "q1": median - iqr / 2,
        "q3": median + iqr / 2,
        "iqr": iqr,
        "cv": 0.1,
        "pct_low": 10.0,
        "pct_mid": 20.0,
        "pct_high": 70.0,
        "cns": 0.8,
        "consensus": iqr <= 1,
        **extra,
    }


def make_results(
    round_: Round,
    *,
    shift: float = 0.0,
    suppress_bloc: str | None = "Other",
    divided: bool = True,
    run: AggregationRun | None = None,
) -> AggregationRun:
    """A done run with panel and bloc rows for every item, cross-bloc rows, verdicts and agreement.

    Benefits have median 8 − shift, risks 2 + shift plus the area's index; the first item of each
    area is divided (panel consensus, one bloc without); ``suppress_bloc`` is below k everywhere.
    """
    run = run or make_run(round_)
    study = round_.study
    items: list[ItemResult] = []
    crossbloc: list[CrossBloc] = []
    verdicts: list[AreaVerdict] = []
    for index, area in enumerate(study.areas.order_by("order")):
        for position, criterion in enumerate(study.criteria.order_by("order")):
            median = 8 - shift if criterion.kind == "benefit" else min(9.0, 2 + shift + index)
            iqr = 1.0 if (index + position) % 3 else 2.0
            common = {"run": run, "round": round_, "area": area, "criterion": criterion}
            items.append(
                ItemResult(
                    **common,
                    group="",
                    **_stats(median, iqr, stability_pairs=6, delta_cv=-0.05, wilcoxon_p=0.4, changed_share=0.25),
                )
            )
            for bloc in study.blocs:
                if bloc == suppress_bloc:
                    items.append(ItemResult(**common, group=bloc, n=2, n_cannot_judge=0, suppressed=True))
                else:
                    items.append(ItemResult(**common, group=bloc, **_stats(median + 0.5, iqr)))
            is_divided = divided and position == 0
            crossbloc.append(
                CrossBloc(
                    **common,
                    panel_consensus=True,
                    consensus_in_every_bloc=not is_divided,
                    blocs_compared=["United States", "China"],
                    blocs_without_consensus=["China"] if is_divided else [],
                    blocs_suppressed=1,
                    group_medians={"United States": median + 1, "China": median - 2} if is_divided else {},
                    max_median_difference=3.0 if is_divided else None,
                    bloc_a="United States" if is_divided else "",
                    bloc_b="China" if is_divided else "",
                    mann_whitney_u=4.0 if is_divided else None,
                    mann_whitney_p=0.0004 if is_divided else None,
                    verdict=CrossBloc.Verdict.SPLIT if is_divided else CrossBloc.Verdict.SHARED,
                    split_reason="distance" if is_divided else "",
                    bloc_ends={"United States": "high"} if is_divided else {},
                    kruskal_h=9.5 if is_divided else None,
                    kruskal_p=0.002 if is_divided else None,
                    mann_whitney_p_holm=0.0004 if is_divided else None,
                )
            )
        verdict = [AreaVerdict.Verdict.PROMISING, AreaVerdict.Verdict.SAFEGUARDS, AreaVerdict.Verdict.AVOID][index % 3]
        verdicts.append(
            AreaVerdict(
                run=run,
                round=round_,
                area=area,
                verdict=verdict,
                min_benefit_median=8 - shift,
                max_risk_median=2 + shift + index,
            )
        )
        verdicts += [
            AreaVerdict(run=run, round=round_, area=area, group=bloc, verdict=AreaVerdict.Verdict.AVOID)
            for bloc in study.blocs
            if bloc != suppress_bloc
        ]
    ItemResult.objects.bulk_create(items)
    CrossBloc.objects.bulk_create(crossbloc)
    AreaVerdict.objects.bulk_create(verdicts)
    CriterionAgreement.objects.bulk_create(
        CriterionAgreement(
            run=run,
            round=round_,
            criterion=c,
            n_areas=4,
            kendall_w=0.4,
            kendall_p=0.02,
            kendall_raters=8,
            alpha_ordinal=0.5,
        )
        for c in study.criteria.all()
    )
    return run


def study_with_results(study: Study, *, rounds: int = 2) -> list[Round]:
    """Closed rounds then an open last one, each with results; round 1's participation has submissions."""
    made = []
    for number in range(1, rounds + 1):
        status = Round.Status.OPEN if number == rounds else Round.Status.CLOSED
        round_ = make_round(study, number=number, status=status)
        make_results(round_, shift=1.0 * (rounds - number))
        participations = list(round_.participations.order_by("expert__number"))
        now = timezone.now()
        for position, participation in enumerate(participations):
            participation.invited_at = now - timedelta(days=3)
            participation.opened_at = now - timedelta(days=2)
            if position % 4 != 3 or number == 1:
                participation.started_at = now - timedelta(days=2)
            if position % 4 < 2 or number == 1:
                participation.submitted_at = now - timedelta(days=1, hours=position)
            participation.save()
        made.append(round_)
    return made


def big_study(coordinator: Any, *, areas: int, criteria: int, experts: int, rounds: int) -> Study:
    area_list = [(f"area{i}", f"Area {i}") for i in range(areas)]
    criterion_list = [(f"C{i}", f"Criterion {i}", "benefit" if i % 2 == 0 else "risk") for i in range(criteria)]
    study = make_study(
        coordinator=coordinator, title=f"Study {areas}x{criteria}", areas=area_list, criteria=criterion_list
    )
    make_experts(study, experts)
    study_with_results(study, rounds=rounds)
    return study
