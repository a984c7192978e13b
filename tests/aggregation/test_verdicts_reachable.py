"""Under the shipped templates' default rule every verdict can be reached, for the panel and for each bloc.

The old default (IQR <= 1, >= 70% in 7-9, <= 15% in 1-3) recognised agreement only at the top of the scale,
so "low risk with consensus", and with it "promising for cooperation", could never be reached.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aggregation.models import AreaVerdict, ItemResult
from aggregation.services import round_aggregate
from elicitation.models import Area, Criterion, Expert, Rating, Round, Study
from elicitation.setup.services.studies import study_create
from tests.factories import make_experts, make_round, make_user

pytestmark = pytest.mark.django_db

Rater = Callable[[int, Area, Criterion], int]  # (expert index, area, criterion) -> rating


def template_study(*, with_mitigability: bool = True) -> Study:
    """The AI-safety template's study, which asks mitigability (M1); without it, the criterion is removed."""
    study = study_create(user=make_user(), title="Verdicts", template_key="ai_safety_cooperation")
    assert study.criteria.filter(kind=Criterion.Kind.MITIGABILITY).exists()
    if not with_mitigability:
        study.criteria.filter(kind=Criterion.Kind.MITIGABILITY).delete()
    make_experts(study, 20)  # five per bloc
    return study


def rate(study: Study, rater: Rater) -> Round:
    round_ = make_round(study, status=Round.Status.CLOSED)
    experts = list(Expert.objects.filter(study=study).order_by("number"))
    Rating.objects.bulk_create(
        Rating(round=round_, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id,
               value=rater(index, item.area, item.criterion))
        for index, expert in enumerate(experts)
        for item in round_.items.select_related("area", "criterion")
    )  # fmt: skip
    round_.participations.update(submitted_at=round_.closed_at)
    round_aggregate(round_id=round_.pk)
    return round_


def panel_verdicts(round_: Round) -> dict[str, str]:
    rows = AreaVerdict.objects.filter(round=round_, group="").select_related("area")
    return {row.area.code: row.verdict for row in rows}


def four_verdicts(index: int, area: Area, criterion: Criterion) -> int:
    spread = [1, 5, 9, 3, 7]  # no third holds 70%: no consensus either way
    if criterion.kind == Criterion.Kind.MITIGABILITY:
        return 8  # safeguards could reduce the risks: agreed high
    if area.code == "verification":  # promising: high benefits, risks agreed low
        return 8 if criterion.kind == "benefit" else 2
    if area.code == "protocols":  # safeguards: high benefits, one risk in the middle
        return 8 if criterion.kind == "benefit" else (5 if criterion.code == "R2" else 2)
    if area.code == "infrastructure":  # avoid: a risk agreed high
        return 8 if criterion.code == "R3" else 5
    return spread[index % 5]  # the evaluation areas: no consensus yet


def test_every_verdict_is_reachable_under_the_template_rule() -> None:
    study = template_study()
    rule = study.current_rule()
    assert rule is not None
    assert (rule.band, rule.min_percent_in_band, rule.max_percent_opposite_band) == ("either", 70, 15)
    round_ = rate(study, four_verdicts)
    assert panel_verdicts(round_) == {
        "verification": "promising",
        "protocols": "safeguards",
        "infrastructure": "avoid",
        "evaluation-science": "no_consensus_yet",
        "evaluations": "no_consensus_yet",
    }
    low_risk = ItemResult.objects.get(round=round_, group="", area__code="verification", criterion__code="R1")
    assert (low_risk.consensus, low_risk.consensus_band) == (True, "low")
    # Each bloc of five reaches the same verdicts here, and says so on its own.
    blocs = AreaVerdict.objects.filter(round=round_).exclude(group="")
    assert {row.group for row in blocs} == set(study.blocs)
    assert {(row.group, row.area.code): row.verdict for row in blocs.select_related("area")}[
        ("China", "verification")
    ] == "promising"


def test_without_a_mitigability_criterion_safeguards_are_inferred_from_the_risks() -> None:
    round_ = rate(template_study(with_mitigability=False), four_verdicts)
    assert panel_verdicts(round_)["protocols"] == "safeguards"


@pytest.mark.parametrize(("mitigability", "verdict"), [(8, "safeguards"), (2, "no_consensus_yet")])
def test_safeguards_rest_on_the_mitigability_answer_when_the_study_asks_it(mitigability: int, verdict: str) -> None:
    study = template_study()

    def rater(index: int, area: Area, criterion: Criterion) -> int:
        if criterion.kind == Criterion.Kind.MITIGABILITY:
            return mitigability
        return four_verdicts(index, area, criterion)

    round_ = rate(study, rater)
    found = panel_verdicts(round_)
    assert found["protocols"] == verdict
    assert (found["verification"], found["infrastructure"]) == ("promising", "avoid")
