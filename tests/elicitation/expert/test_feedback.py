from __future__ import annotations

import pytest
from django.utils import timezone

from aggregation.services import round_aggregate
from elicitation.expert.selectors import (
    chart_bars,
    item_stats,
    round_feedback,
    shown_blocs,
)
from elicitation.models import AreaResponse, Expert, Rating, Round, Study
from tests.factories import make_experts, make_round, make_study, mark_submitted, rating_of

# Pure functions -----------------------------------------------------------------------------------------------


def test_item_stats_use_the_studys_quantile_method():
    counts = {1: 1, 2: 1, 3: 1, 4: 1}
    weibull = item_stats(counts, method="weibull")
    linear = item_stats(counts, method="linear")
    assert weibull is not None
    assert linear is not None
    assert (weibull.median, weibull.q1, weibull.q3) == (2.5, 1.25, 3.75)
    assert (linear.median, linear.q1, linear.q3) == (2.5, 1.75, 3.25)
    assert weibull.text == {"median": "2.5", "q1": "1.25", "q3": "3.75", "iqr": "2.5"}
    assert item_stats({}, method="weibull") is None


@pytest.mark.parametrize(
    ("panel", "sizes", "shown"),
    [
        (4, {"US": 4}, None),  # the whole panel below k: nothing at all
        (5, {"US": 5}, []),  # one bloc is the whole panel: nothing to break down
        (10, {"US": 5, "China": 5}, ["China", "US"]),
        (10, {"US": 5, "China": 5, "Europe": 0}, ["China", "US"]),  # a bloc without raters hides no one
        (9, {"US": 5, "China": 4}, []),  # China below k; US alone would give China as panel minus US
        (11, {"US": 5, "China": 5, "Other": 1}, ["US"]),  # "Other" below k takes the smallest other bloc along
        (17, {"US": 5, "China": 6, "Other": 6}, ["China", "Other", "US"]),
        (17, {"US": 5, "China": 5, "Other": 6}, ["Other", "US"]),  # one rater in no bloc: panel minus blocs
        (13, {"US": 5, "China": 5, "": 2, "Other": 1}, ["US"]),  # "" and Other pool 3 < k: China goes too
    ],
)
def test_a_bloc_breakdown_shows_what_disclosure_control_lets_through(panel, sizes, shown):
    assert shown_blocs(panel, sizes, min_group_size=5) == shown


def test_chart_bars_scale_to_the_tallest_and_mark_the_own_answer():
    bars = chart_bars({3: 1, 5: 4}, scale_min=1, scale_max=9, own_value=3)
    assert [bar.value for bar in bars] == list(range(1, 10))
    assert bars[4].height > bars[2].height > 0 == bars[0].height
    assert [bar.is_own for bar in bars].count(True) == 1
    assert bars[2].is_own
    assert all(bar.show_label for bar in bars)
    wide = chart_bars({50: 1}, scale_min=0, scale_max=100, own_value=None)
    assert [bar.value for bar in wide if bar.show_label] == [0, 100]


# Loaded from the database ------------------------------------------------------------------------------------


def rate(round_: Round, experts: list[Expert], values: list[int | None]) -> None:
    """Each expert gives one value (None: cannot judge) to every item of the round."""
    Rating.objects.bulk_create(
        rating_of(round_, expert, item, value)
        for expert, value in zip(experts, values, strict=True)
        for item in round_.items.all()
    )
    mark_submitted(round_, experts)


def items_of(round_: Round):
    return [
        ((item.area_id, item.criterion_id), item.criterion.scale_min, item.criterion.scale_max)
        for item in round_.items.select_related("criterion")
    ]


@pytest.fixture
def panel(db) -> tuple[Study, list[Expert]]:
    """Two blocs of three (k = 3) and a closed round 1 in which everyone rated."""
    study = make_study(title="Feedback", min_group_size=3, blocs=["United States", "China"])
    return study, make_experts(study, 6)


def test_round_two_feeds_back_round_one_with_the_own_answer(panel):
    study, experts = panel
    first = make_round(study, status=Round.Status.CLOSED)
    rate(first, experts, [1, 2, 3, 7, 8, 9])
    second = make_round(study, status=Round.Status.OPEN)
    feedback = round_feedback(round_=second, expert=experts[3], items=items_of(second))
    assert feedback.source == first
    assert not feedback.live
    item = next(iter(feedback.items.values()))
    assert item.n == 6
    assert item.stats is not None
    assert item.blocs is not None
    assert item.stats.median == 5
    assert item.own_value == 7
    assert [bar.value for bar in item.bars if bar.is_own] == [7]
    # blocs alternate: US = experts 1, 3, 5 (1, 3, 8); China = 2, 4, 6 (2, 7, 9)
    assert [(group.bloc, group.stats.n, group.stats.median) for group in item.blocs] == [
        ("China", 3, 7),
        ("United States", 3, 3),
    ]


def test_round_one_of_a_classic_study_has_no_feedback(panel):
    study, experts = panel
    first = make_round(study, status=Round.Status.OPEN)
    rate(first, experts, [5] * 6)
    feedback = round_feedback(round_=first, expert=experts[0], items=items_of(first))
    assert feedback.source is None
    assert feedback.items == {}


def test_real_time_mode_feeds_back_the_current_round_as_last_published(panel):
    study, experts = panel
    study.mode = Study.Mode.REALTIME
    study.save()
    only = make_round(study, status=Round.Status.OPEN)
    rate(only, experts[:3], [4, 5, 6])
    assert round_feedback(round_=only, expert=experts[0], items=items_of(only)).items[_first(only)].stats is None
    assert round_aggregate(round_id=only.pk).is_published, "3 contributors, k = 3"
    feedback = round_feedback(round_=only, expert=experts[0], items=items_of(only))
    assert feedback.live
    item = feedback.items[_first(only)]
    assert item.stats is not None
    assert (item.n, item.stats.median, item.own_value) == (3, 5, 4)
    assert item.bars, "the distribution comes from the published run"
    assert item.blocs is None  # US has 2 raters, China 1

    rate(only, experts[3:4], [9])
    assert not round_aggregate(round_id=only.pk).is_published, "one newcomer is fewer than k"
    unchanged = round_feedback(round_=only, expert=experts[0], items=items_of(only)).items[_first(only)]
    assert unchanged.stats == item.stats, "one expert's save shows nothing until k newcomers have joined"
    assert unchanged.counts == item.counts


def _first(round_: Round) -> tuple[int, int]:
    first = round_.items.order_by("area__order", "criterion__order").first()
    assert first is not None
    return (first.area_id, first.criterion_id)


def test_a_bloc_falling_below_k_on_one_item_removes_the_breakdown_for_that_item_only(panel):
    study, experts = panel
    first = make_round(study, status=Round.Status.CLOSED)
    rate(first, experts, [1, 2, 3, 7, 8, 9])
    one = first.items.all()[0]
    # a Chinese expert could not judge this item: China has 2 raters there, US 3; total 5 >= k
    Rating.objects.filter(round=first, expert=experts[1], area=one.area, criterion=one.criterion).update(
        value=None, cannot_judge=True
    )
    second = make_round(study, status=Round.Status.OPEN)
    feedback = round_feedback(round_=second, expert=experts[0], items=items_of(second))
    item = feedback.items[(one.area_id, one.criterion_id)]
    assert item.n == 5
    assert item.cannot_judge == 1
    assert item.stats is not None
    assert item.blocs is None
    others = [f for key, f in feedback.items.items() if key != (one.area_id, one.criterion_id)]
    assert all(f.blocs is not None for f in others)


def test_fewer_than_k_raters_show_no_statistics_chart_or_rationales(panel):
    study, experts = panel
    first = make_round(study, status=Round.Status.CLOSED)
    rate(first, experts[:2], [3, 9])
    area_id = first.items.all()[0].area_id
    AreaResponse.objects.create(round=first, expert=experts[0], area_id=area_id, rationale="Only two of us")
    second = make_round(study, status=Round.Status.OPEN)
    feedback = round_feedback(round_=second, expert=experts[0], items=items_of(second))
    item = next(iter(feedback.items.values()))
    assert item.suppressed
    assert item.bars == []
    assert item.blocs is None
    assert area_id in feedback.rationales_suppressed
    assert area_id not in feedback.rationales


def test_rationales_are_moderated_not_attributed(panel, coordinator_a):
    study, experts = panel
    first = make_round(study, status=Round.Status.CLOSED)
    rate(first, experts, [5] * 6)
    area_id = first.items.all()[0].area_id
    AreaResponse.objects.create(round=first, expert=experts[0], area_id=area_id, rationale="Shown")
    AreaResponse.objects.create(
        round=first, expert=experts[1], area_id=area_id, rationale="Hidden", hidden_at=timezone.now()
    )
    AreaResponse.objects.create(round=first, expert=experts[2], area_id=area_id, rationale="")
    second = make_round(study, status=Round.Status.OPEN)
    feedback = round_feedback(round_=second, expert=experts[3], items=items_of(second))
    assert [rationale.text for rationale in feedback.rationales[area_id]] == ["Shown"]


def test_feedback_takes_a_fixed_number_of_queries(panel, django_assert_num_queries):
    study, experts = panel
    first = make_round(study, status=Round.Status.CLOSED)
    rate(first, experts, [1, 2, 3, 7, 8, 9])
    second = make_round(study, status=Round.Status.OPEN)
    items = items_of(second)
    with django_assert_num_queries(4):  # source round, counts, own answers, rationales
        round_feedback(round_=second, expert=experts[0], items=items)
