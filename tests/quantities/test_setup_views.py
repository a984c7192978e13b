"""The coordinator sets up quantity questions: the format, questions, and the seeds' true values."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elicitation.models import AuditEvent
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion
from tests.quantities.conftest import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


def question_data(study, **overrides):
    data = {
        "area": study.areas.earliest("order").pk,
        "code": "q1",
        "title": "Inspectors needed",
        "description": "",
        "unit": "people",
        "kind": "quantity",
        "lower_bound": "0",
        "upper_bound": "",
        "scale": "uniform",
        "order": "0",
        "is_active": "on",
        "title_zh-hans": "所需检查员人数",
        "unit_zh-hans": "人",
    }
    return data | overrides


def test_a_coordinator_adds_a_question_with_its_chinese_text_audited(coordinator, study_a):
    response = coordinator.post(f"/studies/{study_a.uuid}/quantities/new/", question_data(study_a))
    assert response.status_code == 302
    question = QuantityQuestion.objects.get(study=study_a)
    assert (question.code, question.unit, question.lower_bound, question.upper_bound) == ("q1", "people", 0, None)
    assert question.localized("zh-hans")["title"] == "所需检查员人数"
    assert AuditEvent.objects.filter(action="quantity.question_created", target="q1").count() == 1


def test_a_probability_is_bounded_by_0_and_1_whatever_is_typed(coordinator, study_a):
    data = question_data(study_a, kind="probability", lower_bound="5", upper_bound="")
    assert coordinator.post(f"/studies/{study_a.uuid}/quantities/new/", data).status_code == 302
    question = QuantityQuestion.objects.get()
    assert (question.lower_bound, question.upper_bound) == (0, 1)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"upper_bound": "-1"}, "upper_bound", "The upper bound must be above the lower bound."),
        ({"scale": "log", "lower_bound": ""}, "lower_bound", "A logarithmic scale needs a lower bound of 0 or more."),
        ({"code": "-q"}, "code", "Use letters, digits, - and _ (at most 40)."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_questions_are_refused_with_field_errors_and_nothing_is_written(
    coordinator, study_a, overrides, field, message
):
    response = coordinator.post(f"/studies/{study_a.uuid}/quantities/new/", question_data(study_a, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not QuantityQuestion.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="quantity.").exists()


def test_the_meaning_of_an_answered_question_is_fixed_but_its_wording_is_not(coordinator, study_a, questions):
    from tests.factories import make_round

    target = questions["target"]
    round_ = make_round(study_a, status="open")
    QuantityAnswer.objects.create(
        round=round_, expert=study_a.experts.first(), question=target, lowest=1, best=2, highest=3, confidence=80
    )
    url = f"/studies/{study_a.uuid}/quantities/{target.uuid}/"
    data = question_data(study_a, code=target.code, title="Inspectors needed by 2030", unit="", upper_bound="")
    assert coordinator.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.title == "Inspectors needed by 2030"
    response = coordinator.post(url, data | {"lower_bound": "1"})
    assert response.status_code == 409
    target.refresh_from_db()
    assert target.lower_bound == 0


def test_the_coordinator_enters_a_seeds_true_value_once_known(coordinator, study_a, questions):
    seed, target = questions["seed"], questions["target"]
    url = f"/studies/{study_a.uuid}/quantities/{seed.uuid}/truth/"
    assert coordinator.post(url, {"realization": "42.5"}).status_code == 302
    seed.refresh_from_db()
    assert seed.realization == 42.5
    assert seed.realization_entered_at is not None
    event = AuditEvent.objects.get(action="quantity.realization_set")
    assert event.detail["new"] == 42.5
    coordinator.post(url, {"realization": "-3"})  # below the lower bound 0
    seed.refresh_from_db()
    assert seed.realization == 42.5
    coordinator.post(f"/studies/{study_a.uuid}/quantities/{target.uuid}/truth/", {"realization": "7"})
    target.refresh_from_db()
    assert target.realization is None  # a target has no true value
    assert AuditEvent.objects.filter(action="quantity.realization_set").count() == 1


def test_the_format_is_set_and_then_fixed_once_experts_have_answered(coordinator, study_a, questions):
    from tests.factories import make_round

    url = f"/studies/{study_a.uuid}/quantities/format/"
    assert (
        coordinator.post(url, {"format": "quantiles", "quantiles": "10, 50, 90", "overshoot": "0.1"}).status_code == 302
    )
    assert QuantityFormat.objects.get(study=study_a).quantiles == [0.1, 0.5, 0.9]
    refused = coordinator.post(url, {"format": "quantiles", "quantiles": "50, 10", "overshoot": "0.1"})
    assert refused.status_code == 400
    assert "List the percentiles from lowest to highest, each once." in refused.content.decode()
    round_ = make_round(study_a, status="open")
    QuantityAnswer.objects.create(
        round=round_, expert=study_a.experts.first(), question=questions["target"], values=[1, 2, 3]
    )
    assert coordinator.post(url, {"format": "idea", "quantiles": "10, 50, 90", "overshoot": "0.1"}).status_code == 409
    assert QuantityFormat.objects.get(study=study_a).format == "quantiles"


def test_the_questions_page_runs_a_fixed_number_of_queries(coordinator, study_a):
    make_question(study_a, "a", is_seed=True)
    with CaptureQueriesContext(connection) as few:
        assert coordinator.get(f"/studies/{study_a.uuid}/quantities/").status_code == 200
    for code in ("b", "c", "d"):
        make_question(study_a, code)
    with CaptureQueriesContext(connection) as more:
        page = coordinator.get(f"/studies/{study_a.uuid}/quantities/")
    assert len(few) == len(more)
    assert page.content.decode().count('name="realization"') == 1
