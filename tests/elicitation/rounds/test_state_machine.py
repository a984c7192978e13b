"""The round state machine: draft → open → closed, every illegal transition refused with one error."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import AuditEvent, ConsensusRule, Participation, Round, RoundItem
from elicitation.rounds.services.lifecycle import (
    round_close,
    round_create,
    round_open,
    round_set_deadline,
    round_set_items,
)
from tests.factories import make_experts, make_round, make_study

pytestmark = pytest.mark.django_db


def soon(days=7):
    return timezone.now() + dt.timedelta(days=days)


def test_create_copies_every_active_area_and_criterion_pair(study_a, coordinator_a):
    study_a.areas.filter(code="evaluations").update(is_active=False)
    round_ = round_create(study=study_a, deadline=None, user=coordinator_a)
    assert round_.number == 1
    assert round_.status == Round.Status.DRAFT
    assert round_.items.count() == 3 * 6
    assert AuditEvent.objects.filter(action="round.create", study=study_a).count() == 1


def test_create_asks_a_chosen_set_of_items(study_a):
    area = study_a.areas.first()
    criteria = list(study_a.criteria.all()[:2])
    round_ = round_create(study=study_a, items=[(area.pk, c.pk) for c in criteria])
    assert set(round_.items.values_list("area_id", "criterion_id")) == {(area.pk, c.pk) for c in criteria}


def test_create_refuses_items_of_another_study(study_a, study_b):
    foreign = (study_b.areas.first().pk, study_b.criteria.first().pk)
    with pytest.raises(InvalidInput) as error:
        round_create(study=study_a, items=[foreign])
    assert "items" in error.value.field_errors
    assert not Round.objects.filter(study=study_a).exists()


def test_create_refuses_an_empty_set_of_items(study_a):
    with pytest.raises(InvalidInput):
        round_create(study=study_a, items=[])


def test_the_next_round_gets_the_next_number(study_a):
    make_round(study_a, status=Round.Status.CLOSED)
    assert round_create(study=study_a).number == 2


@pytest.mark.parametrize("status", [Round.Status.DRAFT, Round.Status.OPEN])
def test_create_refuses_while_a_round_is_unfinished(study_a, status):
    make_round(study_a, status=status)
    with pytest.raises(IllegalTransition):
        round_create(study=study_a)


def test_open_sets_deadline_status_and_participations(study_a, coordinator_a):
    round_ = round_create(study=study_a)
    deadline = soon()
    round_open(round=round_, user=coordinator_a, deadline=deadline)
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert round_.deadline == deadline
    assert round_.opened_at is not None
    assert Participation.objects.filter(round=round_).count() == 8
    event = AuditEvent.objects.get(action="round.open")
    assert event.actor_user_id == coordinator_a.pk
    assert event.detail["round_id"] == round_.pk


def test_opening_the_first_round_freezes_the_consensus_rule(study_a, coordinator_a):
    rule = study_a.current_rule()
    assert rule.frozen_at is None
    round_ = round_open(round=round_create(study=study_a), user=coordinator_a, deadline=soon())
    rule.refresh_from_db()
    assert rule.frozen_at is not None
    assert round_.consensus_rule == rule


def test_a_later_round_keeps_the_frozen_rule_and_its_time(study_a, coordinator_a):
    first = round_open(round=round_create(study=study_a), user=coordinator_a, deadline=soon())
    assert first.consensus_rule is not None
    frozen_at = ConsensusRule.objects.get(pk=first.consensus_rule.pk).frozen_at
    assert frozen_at is not None  # frozen with the analysis plan when round 1 opened
    round_close(round=first, user=coordinator_a)
    second = round_open(round=round_create(study=study_a), user=coordinator_a, deadline=soon())
    assert second.consensus_rule_id == first.consensus_rule_id
    assert second.consensus_rule is not None
    assert ConsensusRule.objects.get(pk=second.consensus_rule.pk).frozen_at == frozen_at


def test_the_first_round_does_not_open_without_a_consensus_rule(coordinator_a):
    study = make_study(coordinator=coordinator_a, with_rule=False)
    make_experts(study, 3)
    round_ = round_create(study=study)
    with pytest.raises(IllegalTransition, match="consensus rule"):
        round_open(round=round_, user=coordinator_a, deadline=soon())
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT


def test_open_refuses_a_deadline_in_the_past(study_a, coordinator_a):
    round_ = round_create(study=study_a)
    with pytest.raises(InvalidInput) as error:
        round_open(round=round_, user=coordinator_a, deadline=timezone.now() - dt.timedelta(minutes=1))
    assert "deadline" in error.value.field_errors
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT
    assert study_a.current_rule().frozen_at is None


def test_open_refuses_while_another_round_is_open(study_a, coordinator_a):
    make_round(study_a, status=Round.Status.OPEN)
    draft = Round.objects.create(study=study_a, number=2)
    RoundItem.objects.create(round=draft, area=study_a.areas.first(), criterion=study_a.criteria.first())
    with pytest.raises(IllegalTransition, match="Round 1 is open"):
        round_open(round=draft, user=coordinator_a, deadline=soon())


def test_the_database_allows_one_open_round_per_study(study_a, study_b):
    make_round(study_a, status=Round.Status.OPEN)
    make_round(study_b, status=Round.Status.OPEN)  # another study may have its own open round
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(study=study_a, number=2, status=Round.Status.OPEN)


def test_open_refuses_a_round_without_items(study_a, coordinator_a):
    round_ = Round.objects.create(study=study_a, number=1)
    with pytest.raises(IllegalTransition, match="no items"):
        round_open(round=round_, user=coordinator_a, deadline=soon())


def test_close_sets_closed_and_queues_aggregation_after_commit(
    study_a, coordinator_a, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("aggregation.jobs.request_aggregation", lambda **kw: calls.append(kw))
    round_ = round_open(round=round_create(study=study_a), user=coordinator_a, deadline=soon())
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=round_, user=coordinator_a)
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED
    assert round_.closed_at is not None
    assert calls == [{"round_id": round_.pk, "immediate": True}]
    assert AuditEvent.objects.filter(action="round.close", actor_user_id=coordinator_a.pk).count() == 1


ILLEGAL = [
    (Round.Status.DRAFT, "close"),
    (Round.Status.OPEN, "open"),
    (Round.Status.OPEN, "items"),
    (Round.Status.CLOSED, "open"),
    (Round.Status.CLOSED, "close"),
    (Round.Status.CLOSED, "items"),
    (Round.Status.CLOSED, "deadline"),
    (Round.Status.DRAFT, "deadline"),
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(study_a, coordinator_a, status, action):
    round_ = make_round(study_a, status=status, deadline=soon())
    before = Round.objects.filter(pk=round_.pk).values().get()
    events = AuditEvent.objects.count()
    call = {
        "open": lambda: round_open(round=round_, user=coordinator_a, deadline=soon(3)),
        "close": lambda: round_close(round=round_, user=coordinator_a),
        "items": lambda: round_set_items(round=round_, items=[], user=coordinator_a),
        "deadline": lambda: round_set_deadline(round=round_, user=coordinator_a, deadline=soon(3)),
    }[action]
    with pytest.raises(IllegalTransition) as error:
        call()
    assert str(round_.number) in error.value.message
    assert Round.objects.filter(pk=round_.pk).values().get() == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("action", ["open", "close", "items", "deadline"])
def test_a_closed_round_gives_one_clear_message(study_a, coordinator_a, action):
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    call = {
        "open": lambda: round_open(round=round_, user=coordinator_a, deadline=soon()),
        "close": lambda: round_close(round=round_, user=coordinator_a),
        "items": lambda: round_set_items(round=round_, items=[], user=coordinator_a),
        "deadline": lambda: round_set_deadline(round=round_, user=coordinator_a, deadline=soon()),
    }[action]
    with pytest.raises(IllegalTransition) as error:
        call()
    assert error.value.message == ("Round 1 is closed; a closed round cannot be opened, edited or closed again.")
    assert error.value.status_code == 409


def test_the_deadline_of_an_open_round_can_move(study_a, coordinator_a):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=soon(1))
    new = soon(5)
    round_set_deadline(round=round_, user=coordinator_a, deadline=new)
    round_.refresh_from_db()
    assert round_.deadline == new
    assert AuditEvent.objects.filter(action="round.deadline").exists()


def test_items_of_a_draft_round_can_be_replaced(study_a, coordinator_a):
    round_ = round_create(study=study_a)
    area = study_a.areas.first()
    chosen = {(area.pk, c.pk) for c in study_a.criteria.all()}
    round_set_items(round=round_, items=chosen, user=coordinator_a)
    assert set(round_.items.values_list("area_id", "criterion_id")) == chosen
