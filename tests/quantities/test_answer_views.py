"""The expert answers quantity questions on the round form: saved with history, bad input refused by field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elicitation.models import AuditEvent, Participation, Round
from quantities.models import QuantityAnswer, QuantityAnswerRevision, QuantityFormat
from tests.quantities.conftest import HTMX, idea_data

pytestmark = pytest.mark.django_db


def save_url(round_, question) -> str:
    return f"/e/round/{round_.uuid}/quantity/{question.uuid}/"


def test_an_idea_answer_is_saved_with_its_revision_and_an_audit_event(expert_client, expert_a, open_round, questions):
    target = questions["target"]
    response = expert_client.post(save_url(open_round, target), idea_data(target, "10", "20", "40", "80"), **HTMX)
    assert response.status_code == 200
    assert "Saved." in response.content.decode()
    answer = QuantityAnswer.objects.get(round=open_round, expert=expert_a, question=target)
    assert (answer.lowest, answer.best, answer.highest, answer.confidence) == (10, 20, 40, 80)
    revision = QuantityAnswerRevision.objects.get(question=target)
    assert revision.old_value is None
    assert revision.new_value == {"lowest": 10, "best": 20, "highest": 40, "confidence": 80}
    assert AuditEvent.objects.filter(action="quantity.answer_saved", actor_expert=expert_a).count() == 1
    assert Participation.objects.get(round=open_round, expert=expert_a).started_at is not None


def test_a_changed_answer_appends_a_revision_and_an_unchanged_one_writes_nothing(expert_client, open_round, questions):
    target = questions["target"]
    url = save_url(open_round, target)
    expert_client.post(url, idea_data(target, "10", "20", "40", "80"), **HTMX)
    expert_client.post(url, idea_data(target, "10", "20", "40", "80"), **HTMX)
    assert QuantityAnswerRevision.objects.count() == 1
    expert_client.post(url, idea_data(target, "12", "20", "40", "90"), **HTMX)
    revisions = list(QuantityAnswerRevision.objects.order_by("id").values_list("old_value", "new_value"))
    assert revisions[1] == (
        {"lowest": 10, "best": 20, "highest": 40, "confidence": 80},
        {"lowest": 12, "best": 20, "highest": 40, "confidence": 90},
    )
    with pytest.raises(RuntimeError):
        QuantityAnswerRevision.objects.earliest("id").delete()


def test_revisions_are_append_only_in_the_database(expert_client, open_round, questions):
    from django.db import DatabaseError, transaction

    target = questions["target"]
    expert_client.post(save_url(open_round, target), idea_data(target, "10", "20", "40", "80"), **HTMX)
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    with pytest.raises(DatabaseError), transaction.atomic():
        QuantityAnswerRevision.objects.update(source="api")


@pytest.mark.parametrize(
    ("kind", "values", "field", "words"),
    [
        ("target", ("30", "20", "40", "80"), "lowest", "The lowest estimate is above the best estimate."),
        ("probability", ("0.1", "0.5", "1.3", "80"), "highest", "A probability lies between 0 and 1; 1.3 does not."),
        ("target", ("10", "20", "40", "40"), "confidence", "Enter a confidence between 50% and 100%."),
        ("target", ("10", "20", "40", "101"), "confidence", "Enter a confidence between 50% and 100%."),
        ("target", ("-5", "20", "40", "80"), "lowest", "Must not be below 0."),
        ("target", ("ten", "20", "40", "80"), "lowest", "Enter a number."),
    ],
)
def test_bad_input_is_refused_naming_the_question_and_nothing_is_saved(
    expert_client, open_round, questions, kind, values, field, words
):
    question = questions[kind]
    for headers in (HTMX, {}):
        response = expert_client.post(save_url(open_round, question), idea_data(question, *values), **headers)
        assert response.status_code == 400
        body = response.content.decode()
        assert f"“{question.title}”: {words}" in body.replace("&quot;", '"').replace("&#x27;", "'")
        if not headers:  # the plain form marks the field itself
            assert f'id="quantity-{question.pk}-{field}-error"' in body
    assert not QuantityAnswer.objects.exists()
    assert not QuantityAnswerRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="quantity.answer_saved").exists()


def test_an_autosave_of_a_half_filled_answer_saves_nothing_and_refuses_nothing(expert_client, open_round, questions):
    target = questions["target"]
    response = expert_client.post(save_url(open_round, target), idea_data(target, "10", "", "", ""), **HTMX)
    assert response.status_code == 200
    assert "Not saved yet: fill in every part." in response.content.decode()
    assert not QuantityAnswer.objects.exists()


def test_the_quantile_format_takes_increasing_values_at_the_studys_percentiles(
    expert_client, expert_a, open_round, questions
):
    QuantityFormat.objects.filter(study=expert_a.study).update(format="quantiles", quantiles=[0.1, 0.5, 0.9])
    target = questions["target"]
    prefix = f"quantity-{target.pk}-"
    url = save_url(open_round, target)
    refused = expert_client.post(url, {prefix + "q0": "5", prefix + "q1": "4", prefix + "q2": "9"}, **HTMX)
    assert refused.status_code == 400
    assert "Each value must be above the one for the lower percentile." in refused.content.decode()
    response = expert_client.post(url, {prefix + "q0": "1", prefix + "q1": "4,5", prefix + "q2": "9"}, **HTMX)
    assert response.status_code == 200
    assert QuantityAnswer.objects.get().values == [1, 4.5, 9]


def test_a_plain_post_saves_and_returns_to_the_question(expert_client, open_round, questions):
    target = questions["target"]
    response = expert_client.post(save_url(open_round, target), idea_data(target, "10", "20", "40", "80"))
    assert response.status_code == 302
    assert response["Location"] == f"/e/round/#quantity-{target.uuid}"


def test_a_closed_round_refuses_the_answer(expert_client, open_round, questions):
    Round.objects.filter(pk=open_round.pk).update(status=Round.Status.CLOSED)
    target = questions["target"]
    response = expert_client.post(save_url(open_round, target), idea_data(target, "10", "20", "40", "80"), **HTMX)
    assert response.status_code == 409
    assert not QuantityAnswer.objects.exists()


def test_another_studys_question_does_not_exist_for_the_expert(expert_client, open_round, study_b):
    from tests.quantities.conftest import make_question

    other = make_question(study_b, "x")
    response = expert_client.post(save_url(open_round, other), idea_data(other, "1", "2", "3", "80"), **HTMX)
    assert response.status_code == 404


def test_seeds_and_targets_look_the_same_to_experts_and_no_truth_is_on_the_page(expert_client, open_round, questions):
    seed, target = questions["seed"], questions["target"]
    seed.realization = 123.456
    seed.save()
    page = expert_client.get("/e/round/").content.decode()
    assert "123.456" not in page
    assert "seed" not in page.lower()
    start = page.index(f'id="quantity-{seed.uuid}"')
    seed_form = page[start : page.index("</form>", start)]
    start = page.index(f'id="quantity-{target.uuid}"')
    target_form = page[start : page.index("</form>", start)]
    normalise = [(seed.title, "T"), (target.title, "T"), (str(seed.uuid), "Q"), (str(target.uuid), "Q")]
    normalise += [(f"quantity-{seed.pk}-", "N"), (f"quantity-{target.pk}-", "N")]
    for old, new in normalise:
        seed_form, target_form = seed_form.replace(old, new), target_form.replace(old, new)
    assert seed_form == target_form


def test_the_round_page_runs_the_same_queries_with_one_question_or_three(expert_client, open_round, questions, study_a):
    from quantities.models import QuantityQuestion

    QuantityQuestion.objects.exclude(pk=questions["target"].pk).update(is_active=False)
    with CaptureQueriesContext(connection) as one:
        assert expert_client.get("/e/round/").status_code == 200
    QuantityQuestion.objects.update(is_active=True)
    with CaptureQueriesContext(connection) as three:
        assert expert_client.get("/e/round/").status_code == 200
    assert len(one) == len(three)
