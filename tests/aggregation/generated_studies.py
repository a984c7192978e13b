"""Generated studies for comparing stored results across implementations of the aggregation job.

``make_generated_study(seed, inclusion)``: 26 experts in four blocs (one bloc below k), the factories' four
areas and six criteria (one on a 0-4 scale), two closed rounds; ratings drawn per item and bloc with "cannot
judge" and skipped items, two experts who never submitted round 2. ``stored_results(run)``: the run's four
result tables keyed by area and criterion codes, expert-free and id-free, so two databases (or two versions
of the code) can be compared row by row. Only the ORM and numpy: the same module runs under older code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils import timezone

from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from elicitation.models import ConsensusRule, Criterion, Participation, Rating, Round
from tests.factories import make_experts, make_round, make_study, rating_of

BLOCS = ("United States", "China", "Europe", "Other")
SIZES = (8, 8, 7, 3)  # "Other" stays below k = 5: suppressed rows, fewer blocs compared


def make_generated_study(seed: int, inclusion: str = ConsensusRule.Inclusion.SUBMITTED) -> tuple[Any, list[Round]]:
    rng = np.random.default_rng(seed)
    study = make_study(title=f"Generated {seed}", min_group_size=5)
    ConsensusRule.objects.filter(study=study).update(inclusion=inclusion)
    Criterion.objects.filter(study=study, code="R3").update(scale_min=0, scale_max=4)
    experts = []
    for bloc, size in zip(BLOCS, SIZES, strict=True):
        experts += make_experts(study, size, blocs=[bloc])
    rounds = []
    for number in (1, 2):
        round_ = make_round(study, number=number, status=Round.Status.CLOSED)
        ratings = []
        for item in round_.items.select_related("criterion").order_by("area__order", "criterion__order"):
            low, high = item.criterion.scale_min, item.criterion.scale_max
            centre = rng.uniform(low, high)
            for position, expert in enumerate(experts):
                draw = rng.random()
                if draw < 0.06:
                    continue  # skipped the item
                value = None
                if draw >= 0.10:  # else cannot judge
                    value = int(np.clip(np.rint(centre + rng.normal(position % 4 - 1.5, 1.6)), low, high))
                ratings.append(rating_of(round_, expert, item, value))
        Rating.objects.bulk_create(ratings)
        unsubmitted = experts[:2] if number == 2 else []
        Participation.objects.filter(round=round_).exclude(expert__in=unsubmitted).update(submitted_at=timezone.now())
        rounds.append(round_)
    return study, rounds


def stored_results(run: AggregationRun) -> dict[str, list[dict[str, Any]]]:
    """The run's rows, each with area and criterion codes instead of ids, sorted by their keys."""
    skip = {"id", "run", "round"}

    def rows(model: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        names = [f.name for f in model._meta.concrete_fields if f.name not in skip | {"area", "criterion"}]
        found = []
        for row in model.objects.filter(run=run).values(*names, *(f"{key}__code" for key in keys)):
            found.append({name.removesuffix("__code"): value for name, value in row.items()})
        return sorted(found, key=lambda row: tuple(str(row.get(name, "")) for name in ("area", "criterion", "group")))

    criteria = Criterion.objects.filter(study__rounds=run.round_id).values_list("id", "code")
    codes = {str(pk): code for pk, code in criteria}
    verdicts = rows(AreaVerdict, ("area",))
    for verdict in verdicts:  # the detail names criteria by id
        verdict["detail"] = {codes[key]: value for key, value in verdict["detail"].items()}
    return {
        "items": rows(ItemResult, ("area", "criterion")),
        "criteria": rows(CriterionAgreement, ("criterion",)),
        "cross_bloc": rows(CrossBloc, ("area", "criterion")),
        "verdicts": verdicts,
    }
