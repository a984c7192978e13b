"""Invariants held by the database itself, not only by forms."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from elicitation.models import AnswerRevision, AuditEvent, Rating, Round
from tests.factories import make_round, make_round_unchecked


def new_rating(round_, expert, **fields):
    area = round_.study.areas.first()
    criterion = round_.study.criteria.first()
    return Rating(round=round_, expert=expert, area=area, criterion=criterion, **fields)


@pytest.mark.django_db
def test_one_rating_per_round_expert_area_and_criterion(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.first()
    new_rating(round_, expert, value=5).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_rating(round_, expert, value=6).save()


@pytest.mark.django_db
def test_a_rating_has_a_value_or_cannot_judge_but_not_both(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_rating(round_, expert, value=5, cannot_judge=True).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_rating(round_, expert, value=None, cannot_judge=False).save()


@pytest.mark.django_db
@pytest.mark.parametrize("value", [0, 10, -3, 100])
def test_the_database_refuses_a_value_outside_the_criterions_scale(study_a, value):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        new_rating(round_, study_a.experts.first(), value=value).save()
    assert Rating.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_a_rating_whose_expert_belongs_to_another_study(study_a, study_b):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        new_rating(round_, study_b.experts.first(), value=5).save()


@pytest.mark.django_db
def test_only_one_round_of_a_study_can_be_open(study_a, study_b):
    make_round(study_a, status=Round.Status.OPEN)
    make_round(study_b, status=Round.Status.OPEN)  # another study's open round is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        make_round_unchecked(study_a, status=Round.Status.OPEN)  # past the services' guard, to the constraint


@pytest.mark.django_db
def test_revisions_and_audit_events_cannot_be_changed_through_the_models(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.first()
    revision = AnswerRevision.objects.create(
        round=round_, expert=expert, area=study_a.areas.first(), field="value", new_value="5", source="web"
    )
    event = AuditEvent.objects.create(action="test")
    for row in (revision, event):
        with pytest.raises(RuntimeError, match="append-only"):
            row.save()
        with pytest.raises(RuntimeError, match="append-only"):
            row.delete()


@pytest.mark.services
@pytest.mark.django_db
def test_postgresql_refuses_updates_and_deletes_of_history_even_in_raw_sql(study_a):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    round_ = make_round(study_a, status=Round.Status.OPEN)
    events = AuditEvent.objects.count()  # the round's opening (and the plan's freeze) wrote theirs
    AnswerRevision.objects.create(
        round=round_, expert=study_a.experts.first(), area=study_a.areas.first(), field="value", source="web"
    )
    AuditEvent.objects.create(action="test")
    for table in ("elicitation_answerrevision", "elicitation_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET created_at = now()")  # noqa: S608 - fixed table names
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert AnswerRevision.objects.count() == 1
    assert AuditEvent.objects.count() == events + 1
