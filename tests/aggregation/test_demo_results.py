"""The demo study's data shows what the results promise: every verdict, agreement at the low end, a split
along bloc lines with different bloc medians, saved answers that do not count until submitted, an area
reworded in both languages, a dropped item, and a draft round 3 without the items that reached consensus."""

from __future__ import annotations

import pytest

from aggregation.models import AggregationRun, AreaVerdict, CrossBloc, ItemResult
from elicitation.demo import DROPPED, REWORDED, STARTED_NOT_SUBMITTED, load_demo
from elicitation.models import AreaRevision, Rating, Round, Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_round_2() -> Round:
    study: Study = load_demo().study  # aggregates its closed rounds as it loads
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


def test_the_demo_rewords_an_area_in_both_languages_before_round_2(demo_round_2: Round) -> None:
    revisions = AreaRevision.objects.filter(area__study=demo_round_2.study, area__code=REWORDED["code"])
    assert {(r.language, r.round_number) for r in revisions} == {("en", 2), ("zh-hans", 2)}
    chinese = revisions.get(language="zh-hans")
    chinese_texts = REWORDED["zh-hans"]
    assert isinstance(chinese_texts, dict)
    assert (chinese.old_title, chinese.new_title) == ("基础设施", chinese_texts["title"])
    assert revisions.get(language="en").new_title == REWORDED["title"]


def test_the_demo_drops_an_item_after_round_1(demo_round_2: Round) -> None:
    area, criterion = DROPPED
    first = demo_round_2.study.rounds.get(number=1)
    assert first.items.filter(area__code=area, criterion__code=criterion).exists()
    assert not demo_round_2.items.filter(area__code=area, criterion__code=criterion).exists()
    assert not Rating.objects.filter(round=demo_round_2, area__code=area, criterion__code=criterion).exists()


def test_the_draft_round_3_does_not_ask_again_what_reached_consensus(demo_round_2: Round) -> None:
    draft = demo_round_2.study.rounds.get(number=3)
    assert draft.status == Round.Status.DRAFT
    asked_before = set(demo_round_2.items.values_list("area_id", "criterion_id"))
    agreed = set(
        ItemResult.objects.filter(round=demo_round_2, group="", consensus=True).values_list("area_id", "criterion_id")
    )
    assert agreed  # the demo has items that reached consensus
    assert set(draft.items.values_list("area_id", "criterion_id")) == asked_before - agreed  # the dropped stays out
    assert AggregationRun.objects.filter(round=demo_round_2).count() == 1  # aggregated once, as it loaded
