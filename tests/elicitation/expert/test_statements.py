"""Dissent on the record and reasons for a changed rating (issue 19, item 6): the service, the form, disclosure."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from analysis.disclosure import dissent_disclosed
from core.errors import InvalidInput, RoundNotOpen
from elicitation.expert.services.statements import ItemRef, item_statement_save
from elicitation.models import AuditEvent, ItemStatement, ItemStatementRevision, Round, StatementKind
from elicitation.models.statements import STATEMENT_MAX_LENGTH
from elicitation.setup.services.erasure import ERASED_TEXT, expert_erase
from quantities.models import QuantityQuestion
from tests.factories import make_round

pytestmark = pytest.mark.django_db

DISSENT, REASON = StatementKind.DISSENT, StatementKind.CHANGE_REASON


def first_item(round_: Round) -> ItemRef:
    item = round_.items.order_by("id").first()
    assert item is not None
    return ItemRef(area_id=item.area_id, criterion_id=item.criterion_id)


def question_of(study) -> QuantityQuestion:
    return QuantityQuestion.objects.create(
        study=study, area=study.areas.earliest("order"), code="q1", title="Inspectors", lower_bound=0
    )


def saved_state():
    return (
        list(ItemStatement.objects.values_list("id", "text")),
        ItemStatementRevision.objects.count(),
        AuditEvent.objects.filter(action="statement.saved").count(),
    )


def test_recording_dissent_keeps_the_statement_its_history_and_an_audit_event_without_its_words(open_round, expert_a):
    item = first_item(open_round)
    statement = item_statement_save(
        expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=item, text="  The risk is understated.  "
    )
    assert statement is not None
    assert (statement.text, statement.language) == ("The risk is understated.", expert_a.language)
    revision = ItemStatementRevision.objects.get()
    assert (revision.kind, revision.old_text, revision.new_text) == (DISSENT, None, "The risk is understated.")
    event = AuditEvent.objects.get(action="statement.saved")
    assert event.detail["kind"] == DISSENT
    assert "understated" not in str(event.detail)


def test_changing_and_withdrawing_append_to_the_history_and_an_unchanged_save_writes_nothing(open_round, expert_a):
    item = first_item(open_round)
    save = lambda text: item_statement_save(  # noqa: E731
        expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=item, text=text
    )
    save("First")
    save("Second")
    assert save("Second") is None
    save("")
    statement = ItemStatement.objects.get()
    assert statement.text == ""
    history = list(ItemStatementRevision.objects.values_list("old_text", "new_text"))
    assert history == [(None, "First"), ("First", "Second"), ("Second", "")]


def test_an_empty_statement_where_none_was_given_writes_nothing(open_round, expert_a):
    before = saved_state()
    result = item_statement_save(
        expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=first_item(open_round), text=""
    )
    assert result is None
    assert saved_state() == before


@pytest.mark.parametrize(
    ("kind", "text", "field"),
    [
        ("dissent", "x" * (STATEMENT_MAX_LENGTH + 1), "text"),
        ("dissent", "nul \x00 byte", "text"),
        ("dissent", 42, "text"),
        ("verdict", "Because.", "kind"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_nothing_saved(open_round, expert_a, kind, text, field):
    before = saved_state()
    with pytest.raises(InvalidInput) as refused:
        item_statement_save(expert=expert_a, round_id=open_round.pk, kind=kind, item=first_item(open_round), text=text)
    assert field in refused.value.field_errors
    assert saved_state() == before


def test_an_item_not_asked_or_of_another_study_is_refused(open_round, expert_a, study_b):
    other = make_round(study_b, status=Round.Status.OPEN)
    before = saved_state()
    for item in (
        ItemRef(area_id=first_item(other).area_id, criterion_id=first_item(open_round).criterion_id),
        ItemRef(),
    ):
        with pytest.raises(InvalidInput) as refused:
            item_statement_save(expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=item, text="No.")
        assert "item" in refused.value.field_errors
    with pytest.raises(InvalidInput) as refused:
        item_statement_save(expert=expert_a, round_id=other.pk, kind=DISSENT, item=first_item(other), text="No.")
    assert "round" in refused.value.field_errors
    assert saved_state() == before


def test_dissent_on_a_quantity_question_is_recorded_but_a_reason_for_a_change_is_not_asked_there(open_round, expert_a):
    question = question_of(expert_a.study)
    item = ItemRef(question_id=question.pk)
    item_statement_save(expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=item, text="Too narrow.")
    assert ItemStatement.objects.get().question_id == question.pk
    before = saved_state()
    with pytest.raises(InvalidInput) as refused:
        item_statement_save(expert=expert_a, round_id=open_round.pk, kind=REASON, item=item, text="Changed my mind.")
    assert "item" in refused.value.field_errors
    assert saved_state() == before


def test_a_closed_round_refuses_statements(study_a, expert_a):
    closed = make_round(study_a, status=Round.Status.CLOSED)
    with pytest.raises(RoundNotOpen):
        item_statement_save(expert=expert_a, round_id=closed.pk, kind=DISSENT, item=first_item(closed), text="Late.")
    assert not ItemStatement.objects.exists()


def test_the_database_refuses_a_statement_on_two_items_or_a_second_one_on_the_same_item(open_round, expert_a):
    item = first_item(open_round)
    question = question_of(expert_a.study)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemStatement.objects.create(
            round=open_round, expert=expert_a, kind=DISSENT, area_id=item.area_id, criterion_id=item.criterion_id,
            question=question, text="Both",
        )  # fmt: skip
    ItemStatement.objects.create(
        round=open_round, expert=expert_a, kind=DISSENT, area_id=item.area_id, criterion_id=item.criterion_id, text="A"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemStatement.objects.create(
            round=open_round, expert=expert_a, kind=DISSENT, area_id=item.area_id, criterion_id=item.criterion_id,
            text="B",
        )  # fmt: skip


def test_the_history_is_append_only_in_the_database_and_erasure_redacts_its_texts(open_round, expert_a):
    item = first_item(open_round)
    item_statement_save(expert=expert_a, round_id=open_round.pk, kind=DISSENT, item=item, text="My own words")
    revision = ItemStatementRevision.objects.get()
    with pytest.raises(RuntimeError):
        revision.delete()
    if connection.vendor == "postgresql":
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            ItemStatementRevision.objects.filter(pk=revision.pk).update(new_text="Rewritten")
    expert_erase(expert=expert_a, user=None)
    assert ItemStatement.objects.get().text == ERASED_TEXT
    assert ItemStatementRevision.objects.get().new_text == ERASED_TEXT


@pytest.mark.parametrize(("dissenters", "shown"), [(0, 0), (1, None), (4, None), (5, 5), (9, 9)])
def test_dissent_is_counted_for_others_only_from_k_experts(dissenters, shown):
    assert dissent_disclosed(dissenters, k=5) == shown
