from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import InvalidInput, RoundNotOpen
from elicitation.expert.services import answers as answer_services
from elicitation.expert.services.answers import (
    AnswerInput,
    answers_save,
    area_response_save,
    round_submit,
    suggestion_add,
)
from elicitation.models import AnswerRevision, AreaResponse, Participation, Rating, Round, Suggestion
from elicitation.models.answers import RATIONALE_MAX_LENGTH, SUGGESTION_MAX_LENGTH
from tests.factories import make_round, save_answer

pytestmark = pytest.mark.django_db


def first_item(round_: Round):
    return round_.items.select_related("area", "criterion").first()


def snapshot():
    return (
        list(Rating.objects.values_list("id", "value", "cannot_judge")),
        AnswerRevision.objects.count(),
        list(AreaResponse.objects.values_list("id", "confidence", "rationale")),
        Suggestion.objects.count(),
        list(Participation.objects.values_list("id", "started_at", "submitted_at")),
    )


def test_saving_a_rating_creates_it_with_a_revision_and_marks_the_expert_started(open_round, expert_a):
    item = first_item(open_round)
    rating = save_answer(
        expert=expert_a, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=7
    )
    assert rating is not None
    assert rating.value == 7
    revision = AnswerRevision.objects.get()
    assert (revision.field, revision.old_value, revision.new_value, revision.source) == ("value", None, "7", "web")
    assert Participation.objects.get(round=open_round, expert=expert_a).started_at is not None


def test_saving_again_is_an_upsert_that_records_old_and_new_value(open_round, expert_a):
    item = first_item(open_round)
    keys = {"expert": expert_a, "round_id": open_round.pk, "area_id": item.area_id, "criterion_id": item.criterion_id}
    save_answer(**keys, value=7)
    save_answer(**keys, value=3, source="api")
    save_answer(**keys, value=None, cannot_judge=True)
    rating = Rating.objects.get()
    assert (rating.value, rating.cannot_judge) == (None, True)
    history = list(AnswerRevision.objects.values_list("old_value", "new_value", "source"))
    assert history == [(None, "7", "web"), ("7", "3", "api"), ("3", "cannot_judge", "web")]


def test_saving_the_same_answer_writes_no_revision(open_round, expert_a):
    item = first_item(open_round)
    keys = {"expert": expert_a, "round_id": open_round.pk, "area_id": item.area_id, "criterion_id": item.criterion_id}
    save_answer(**keys, value=5)
    assert save_answer(**keys, value=5) is None
    assert AnswerRevision.objects.count() == 1


def test_aggregation_is_requested_after_commit_only_when_something_changed(
    open_round, expert_a, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(answer_services, "request_aggregation", lambda **kw: calls.append(kw))
    item = first_item(open_round)
    keys = {"expert": expert_a, "round_id": open_round.pk, "area_id": item.area_id, "criterion_id": item.criterion_id}
    with django_capture_on_commit_callbacks(execute=True):
        save_answer(**keys, value=5)
    with django_capture_on_commit_callbacks(execute=True):
        save_answer(**keys, value=5)
    assert calls == [{"round_id": open_round.pk, "interval": open_round.study.aggregation_interval_seconds}]


@pytest.mark.parametrize(
    ("value", "cannot_judge"),
    [(0, False), (10, False), (-1, False), ("7", False), (7.0, False), (True, False), (None, False), (5, True)],
)
def test_bad_values_are_refused_and_write_nothing(open_round, expert_a, value, cannot_judge):
    item = first_item(open_round)
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        save_answer(
            expert=expert_a,
            round_id=open_round.pk,
            area_id=item.area_id,
            criterion_id=item.criterion_id,
            value=value,
            cannot_judge=cannot_judge,
        )
    assert error.value.field_errors["answers.0"]
    assert error.value.status_code == 400
    assert snapshot() == before


def test_cannot_judge_is_refused_where_it_is_not_offered(open_round, expert_a):
    item = first_item(open_round)
    item.criterion.allow_cannot_judge = False
    item.criterion.save()
    with pytest.raises(InvalidInput):
        save_answer(
            expert=expert_a,
            round_id=open_round.pk,
            area_id=item.area_id,
            criterion_id=item.criterion_id,
            value=None,
            cannot_judge=True,
        )
    assert not Rating.objects.exists()


def test_an_item_of_another_study_is_refused(open_round, expert_a, study_b):
    other_area = study_b.areas.first()
    other_criterion = study_b.criteria.first()
    with pytest.raises(InvalidInput):
        save_answer(
            expert=expert_a,
            round_id=open_round.pk,
            area_id=other_area.pk,
            criterion_id=other_criterion.pk,
            value=5,
        )
    assert not Rating.objects.exists()


def test_a_round_of_another_study_is_refused(open_round, expert_b):
    item = first_item(open_round)
    with pytest.raises(InvalidInput) as error:
        save_answer(
            expert=expert_b, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5
        )
    assert "round" in error.value.field_errors
    assert not Rating.objects.exists()


def test_an_unknown_round_is_refused(expert_a):
    with pytest.raises(InvalidInput):
        save_answer(expert=expert_a, round_id=987654, area_id=1, criterion_id=1, value=5)


def test_an_item_dropped_from_the_round_or_retired_is_refused(open_round, expert_a):
    item = first_item(open_round)
    item.area.is_active = False
    item.area.save()
    with pytest.raises(InvalidInput):
        save_answer(
            expert=expert_a, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5
        )
    assert not Rating.objects.exists()


@pytest.mark.parametrize("status", [Round.Status.CLOSED, Round.Status.DRAFT])
def test_a_round_that_is_not_open_refuses_answers_with_409(study_a, expert_a, status):
    round_ = make_round(study_a, status=status)
    item = first_item(round_)
    before = snapshot()
    with pytest.raises(RoundNotOpen) as error:
        save_answer(expert=expert_a, round_id=round_.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
    assert error.value.status_code == 409
    with pytest.raises(RoundNotOpen):
        area_response_save(expert=expert_a, round_id=round_.pk, area_id=item.area_id, confidence=3, rationale="x")
    assert snapshot() == before


def test_a_deactivated_expert_cannot_save(open_round, expert_a):
    item = first_item(open_round)
    expert_a.is_active = False
    expert_a.save()
    with pytest.raises(InvalidInput):
        save_answer(
            expert=expert_a, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5
        )
    assert not Rating.objects.exists()


def test_a_batch_is_all_or_nothing_and_reports_every_bad_answer(open_round, expert_a):
    items = list(open_round.items.all()[:3])
    answers = [
        AnswerInput(items[0].area_id, items[0].criterion_id, 5),
        AnswerInput(items[1].area_id, items[1].criterion_id, 42),
        AnswerInput(items[2].area_id, items[2].criterion_id, None),
    ]
    with pytest.raises(InvalidInput) as error:
        answers_save(expert=expert_a, round_id=open_round.pk, answers=answers)
    assert set(error.value.field_errors) == {"answers.1", "answers.2"}
    assert not Rating.objects.exists()
    assert not AnswerRevision.objects.exists()


def test_a_batch_refuses_the_same_item_twice(open_round, expert_a):
    item = first_item(open_round)
    answers = [AnswerInput(item.area_id, item.criterion_id, 5), AnswerInput(item.area_id, item.criterion_id, 6)]
    with pytest.raises(InvalidInput) as error:
        answers_save(expert=expert_a, round_id=open_round.pk, answers=answers)
    assert set(error.value.field_errors) == {"answers.1"}


def test_a_batch_of_every_item_takes_a_fixed_number_of_queries(open_round, expert_a):
    answers = [AnswerInput(item.area_id, item.criterion_id, 5) for item in open_round.items.all()]
    with CaptureQueriesContext(connection) as queries:
        answers_save(expert=expert_a, round_id=open_round.pk, answers=answers)
    # lock, active check, items, existing ratings, one insert per new rating, revisions, participation, audit
    # (the audit event takes its chain's lock and reads the chain's head: two queries)
    assert len(queries) <= 11 + len(answers)
    assert Rating.objects.count() == AnswerRevision.objects.count() == len(answers)


def test_area_response_is_upserted_with_a_revision_per_changed_field(open_round, expert_a):
    area_id = first_item(open_round).area_id
    keys = {"expert": expert_a, "round_id": open_round.pk, "area_id": area_id}
    area_response_save(**keys, confidence=4, rationale="  Because 因为 لأن  ")
    area_response_save(**keys, confidence=4, rationale="Because 因为 لأن")
    area_response_save(**keys, confidence=2, rationale="Because 因为 لأن")
    response = AreaResponse.objects.get()
    assert (response.confidence, response.rationale) == (2, "Because 因为 لأن")
    history = list(AnswerRevision.objects.values_list("field", "old_value", "new_value"))
    assert history == [
        ("confidence", None, "4"),
        ("rationale", None, "Because 因为 لأن"),
        ("confidence", "4", "2"),
    ]


def test_an_empty_area_response_writes_nothing(open_round, expert_a):
    area_id = first_item(open_round).area_id
    assert (
        area_response_save(expert=expert_a, round_id=open_round.pk, area_id=area_id, confidence=None, rationale="")
        is None
    )
    assert not AreaResponse.objects.exists()


@pytest.mark.parametrize(
    ("confidence", "rationale", "field"),
    [
        (0, "", "confidence"),
        (6, "", "confidence"),
        ("3", "", "confidence"),
        (3, "x" * (RATIONALE_MAX_LENGTH + 1), "rationale"),
        (3, "nul\x00", "rationale"),
    ],
)
def test_bad_area_responses_are_refused_and_write_nothing(open_round, expert_a, confidence, rationale, field):
    area_id = first_item(open_round).area_id
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        area_response_save(
            expert=expert_a, round_id=open_round.pk, area_id=area_id, confidence=confidence, rationale=rationale
        )
    assert field in error.value.field_errors
    assert snapshot() == before


def test_an_area_of_another_study_is_refused(open_round, expert_a, study_b):
    with pytest.raises(InvalidInput):
        area_response_save(
            expert=expert_a, round_id=open_round.pk, area_id=study_b.areas.first().pk, confidence=3, rationale=""
        )


def test_suggestions_are_taken_in_round_one_only_within_limits(study_a, expert_a):
    first = make_round(study_a, status=Round.Status.OPEN)
    suggestion = suggestion_add(expert=expert_a, round_id=first.pk, text="  Joint red-teaming  ")
    assert suggestion.text == "Joint red-teaming"
    for bad in ["", "   ", "x" * (SUGGESTION_MAX_LENGTH + 1)]:
        with pytest.raises(InvalidInput):
            suggestion_add(expert=expert_a, round_id=first.pk, text=bad)
    assert Suggestion.objects.count() == 1


def test_suggestions_are_refused_when_disabled_or_after_round_one(study_a, expert_a):
    first = make_round(study_a, status=Round.Status.CLOSED)
    second = make_round(study_a, status=Round.Status.OPEN)
    with pytest.raises(InvalidInput):
        suggestion_add(expert=expert_a, round_id=second.pk, text="Idea")
    first.delete()
    second.delete()
    study_a.suggestions_enabled = False
    study_a.save()
    only = make_round(study_a, number=1, status=Round.Status.OPEN)
    with pytest.raises(InvalidInput):
        suggestion_add(expert=expert_a, round_id=only.pk, text="Idea")
    assert not Suggestion.objects.exists()


def test_submitting_needs_every_item_answered(open_round, expert_a):
    item = first_item(open_round)
    save_answer(expert=expert_a, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
    with pytest.raises(InvalidInput) as error:
        round_submit(expert=expert_a, round_id=open_round.pk)
    assert len(error.value.field_errors) == open_round.items.count() - 1
    assert Participation.objects.get(round=open_round, expert=expert_a).submitted_at is None


def test_after_submitting_answers_can_still_change_until_the_round_closes(open_round, expert_a):
    answers = [AnswerInput(item.area_id, item.criterion_id, 5) for item in open_round.items.all()]
    answers_save(expert=expert_a, round_id=open_round.pk, answers=answers)
    submitted_at = round_submit(expert=expert_a, round_id=open_round.pk).submitted_at
    assert submitted_at is not None
    item = first_item(open_round)
    save_answer(expert=expert_a, round_id=open_round.pk, area_id=item.area_id, criterion_id=item.criterion_id, value=6)
    assert round_submit(expert=expert_a, round_id=open_round.pk).submitted_at == submitted_at
    assert Participation.objects.get(round=open_round, expert=expert_a).submitted_at == submitted_at
    assert Rating.objects.get(area=item.area, criterion=item.criterion, expert=expert_a).value == 6
