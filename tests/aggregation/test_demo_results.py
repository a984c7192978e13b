"""The demo study's data shows what the results promise: every verdict, agreement at the low end, a split
along bloc lines with different bloc medians, and saved answers that do not count until submitted."""

from __future__ import annotations

import pytest

from aggregation.models import AreaVerdict, CrossBloc, ItemResult
from aggregation.services import round_aggregate
from elicitation.demo import STARTED_NOT_SUBMITTED, load_demo
from elicitation.models import Rating, Round, Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_round_2() -> Round:
    study: Study = load_demo().study
    for round_ in study.rounds.filter(status=Round.Status.CLOSED):
        round_aggregate(round_id=round_.pk)
    return study.rounds.get(number=2)


def test_the_demo_reaches_every_verdict_in_round_2(demo_round_2: Round) -> None:
    panel = AreaVerdict.objects.filter(round=demo_round_2, group="").select_related("area")
    assert {row.area.code: row.verdict for row in panel} == {
        "verification": "safeguards",
        "protocols": "promising",
        "infrastructure": "avoid",
        "evaluation-science": "no_consensus_yet",
        "evaluations": "no_consensus_yet",
    }
    assert AreaVerdict.objects.filter(round=demo_round_2, group="China").count() == 5


def test_the_demo_agrees_that_shared_protocols_carry_low_risks(demo_round_2: Round) -> None:
    risk = ItemResult.objects.get(round=demo_round_2, group="", area__code="protocols", criterion__code="R1")
    assert (risk.consensus, risk.consensus_band) == (True, "low")
    assert risk.median is not None
    assert risk.median <= 3


def test_the_demo_has_an_item_split_along_bloc_lines_with_different_medians(demo_round_2: Round) -> None:
    split = CrossBloc.objects.get(round=demo_round_2, area__code="evaluations", criterion__code="R2")
    assert split.verdict == CrossBloc.Verdict.SPLIT
    assert split.split_reason == CrossBloc.SplitReason.ENDS_AND_DISTANCE
    assert split.bloc_ends["United States"] == "high"
    assert split.bloc_ends["Europe"] == "low"
    assert split.max_median_difference is not None
    assert split.max_median_difference >= 5
    assert split.kruskal_p is not None
    assert split.kruskal_p < 0.01


def test_the_demo_leaves_saved_but_unsubmitted_answers_out(demo_round_2: Round) -> None:
    study = demo_round_2.study
    expert = study.experts.get(number=STARTED_NOT_SUBMITTED + 1)
    saved = Rating.objects.filter(round=demo_round_2, expert=expert)
    assert saved.count() == demo_round_2.study.criteria.count()  # one area's every criterion
    submitted = demo_round_2.participations.filter(submitted_at__isnull=False).count()
    row = ItemResult.objects.get(round=demo_round_2, group="", area=saved[0].area, criterion=saved[0].criterion)
    assert row.n + row.n_cannot_judge == submitted
