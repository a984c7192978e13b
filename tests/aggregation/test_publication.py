"""The publication rule: open-round results change only in steps of at least k new contributors.

A coordinator (pages and API) or an expert in real-time mode who compares what they see before and after
one expert's save must learn nothing about that save: every change between two published views adds at
least k = ``Study.min_group_size`` contributors. At the close the final run is published whatever it adds.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from aggregation import runs
from aggregation.models import AggregationRun
from aggregation.selectors import round_results, shown_run
from aggregation.services import round_aggregate
from elicitation.expert.services.answers import AnswerInput, answers_save
from elicitation.models import Expert, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from tests.api.helpers import token_client
from tests.factories import make_experts, make_round, make_study, make_user, mark_submitted

pytestmark = pytest.mark.django_db

LIVE = AggregationRun.Trigger.RATINGS


def test_a_run_needs_k_contributors_not_behind_the_last_publication() -> None:
    assert runs.adds_enough_contributors([1, 2, 3], [], min_group_size=3)
    assert not runs.adds_enough_contributors([1, 2], [], min_group_size=3)
    assert not runs.adds_enough_contributors([1, 2, 3, 4, 5], [1, 2, 3], min_group_size=3)
    assert runs.adds_enough_contributors([1, 2, 3, 4, 5, 6], [1, 2, 3], min_group_size=3)
    assert runs.adds_enough_contributors([4, 5], [1, 2, 3], min_group_size=2) is not False  # 4, 5 are new


@pytest.fixture
def coordinator() -> User:
    return make_user()


@pytest.fixture
def study(coordinator: User) -> Study:
    study = make_study(coordinator=coordinator, title="Publication", min_group_size=3, blocs=["A", "B"])
    make_experts(study, 8)
    return study


def _save(round_: Round, expert: Expert, value: int) -> None:
    answers = [AnswerInput(area_id=i.area_id, criterion_id=i.criterion_id, value=value) for i in round_.items.all()]
    answers_save(expert=expert, round_id=round_.pk, answers=answers)
    mark_submitted(round_, [expert])  # results count submitted answers (the default inclusion)


def _page_view(round_: Round) -> list[tuple[Any, ...]]:
    rows = round_results(round_.pk).items.values_list("area_id", "criterion_id", "group", "n", "mean", "median")
    return list(rows)


def _api_view(client: Any, round_: Round) -> list[dict[str, Any]]:
    response = client.get("/api/v1/aggregates/", {"round": str(round_.uuid), "limit": 1000})
    assert response.status_code == 200
    return response.json()["results"]


def test_one_save_at_a_time_never_changes_a_view_by_fewer_than_k_contributors(study: Study, coordinator: User):
    k = study.min_group_size
    round_ = make_round(study, status=Round.Status.OPEN)
    api = token_client(coordinator)
    experts = list(study.experts.order_by("number"))
    views: list[tuple[Any, Any, AggregationRun | None]] = [(_page_view(round_), _api_view(api, round_), None)]
    changes = 0
    for position, expert in enumerate(experts, start=1):
        _save(round_, expert, value=1 + position % 9)
        round_aggregate(round_id=round_.pk, trigger=LIVE)
        shown = shown_run(round_.pk)
        views.append((_page_view(round_), _api_view(api, round_), shown))
        (page_before, api_before, run_before), (page_after, api_after, run_after) = views[-2], views[-1]
        if page_after == page_before:
            assert api_after == api_before, "the API shows the same run as the pages"
            continue
        changes += 1
        assert run_after is not None
        before = set(run_before.contributors) if run_before else set()
        assert len(set(run_after.contributors) - before) >= k, f"save {position} isolated fewer than k experts"
    assert changes == 2, "published after the 3rd and the 6th save, never in between"
    assert views[2][0] == [], "nothing shown below k contributors"
    assert views[3][0] != []


def test_revisions_by_counted_experts_wait_for_k_newcomers(study: Study):
    round_ = make_round(study, status=Round.Status.OPEN)
    experts = list(study.experts.order_by("number"))
    for expert in experts[:3]:
        _save(round_, expert, value=5)
    first = round_aggregate(round_id=round_.pk, trigger=LIVE)
    assert first.is_published
    _save(round_, experts[0], value=9)  # one expert changes their mind: a difference would show their answer
    revised = round_aggregate(round_id=round_.pk, trigger=LIVE)
    assert revised.is_current
    assert not revised.is_published
    assert shown_run(round_.pk) == first


def test_the_close_publishes_the_final_run_whatever_it_adds(study: Study):
    round_ = make_round(study, status=Round.Status.OPEN)
    experts = list(study.experts.order_by("number"))
    for expert in experts[:4]:
        _save(round_, expert, value=6)
    published = round_aggregate(round_id=round_.pk, trigger=LIVE)
    assert published.is_published
    _save(round_, experts[4], value=2)
    assert not round_aggregate(round_id=round_.pk, trigger=LIVE).is_published
    round_close(round=Round.objects.get(pk=round_.pk), user=None)
    assert round_aggregate(round_id=round_.pk, trigger=LIVE).status == AggregationRun.Status.SKIPPED
    final = round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.CLOSE)
    assert final.is_current
    assert final.is_published
    assert shown_run(round_.pk) == final
    assert round_results(round_.pk).panel_items.first().n == 5  # type: ignore[union-attr]


def test_a_closed_round_shows_its_current_run_even_unpublished(study: Study):
    round_ = make_round(study, status=Round.Status.OPEN)
    experts = list(study.experts.order_by("number"))
    for expert in experts[:4]:
        _save(round_, expert, value=6)
    published = round_aggregate(round_id=round_.pk, trigger=LIVE)
    _save(round_, experts[4], value=2)
    newer = round_aggregate(round_id=round_.pk, trigger=LIVE)
    assert shown_run(round_.pk) == published
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)  # the close job has not run yet
    assert shown_run(round_.pk) == newer


def test_a_live_job_with_unchanged_inputs_does_nothing(study: Study):
    round_ = make_round(study, status=Round.Status.OPEN)
    for expert in study.experts.order_by("number")[:3]:
        _save(round_, expert, value=4)
    first = round_aggregate(round_id=round_.pk, trigger=LIVE)
    again = round_aggregate(round_id=round_.pk, trigger=LIVE)
    assert again.status == AggregationRun.Status.SKIPPED
    assert again.inputs_digest == first.inputs_digest
    assert str(first.pk) in again.error
    assert runs.current_run(round_.pk) == first
