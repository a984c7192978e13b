"""The round form's statements (issue 19, item 6): dissent saved by autosave or the plain form, what other experts
see of it (k), the reason asked when a rating moved, and dissent on a quantity question."""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import ItemStatement, ItemStatementRevision, Rating, Round, StatementKind, Study
from elicitation.setup.services.tokens import token_issue
from quantities.models import QuantityQuestion
from tests.factories import make_experts, make_round, make_study, mark_submitted

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def panel(client):
    """Six experts (k = 3); round 1 closed, everyone rated 5 everywhere; round 2 open; E-01 logged in."""
    study = make_study(title="Dissent views", min_group_size=3, feedback_timing=Study.FeedbackTiming.BEFORE)
    experts = make_experts(study, 6)
    first = make_round(study, status=Round.Status.CLOSED)
    Rating.objects.bulk_create(
        Rating(round=first, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
        for expert in experts
        for item in first.items.all()
    )
    mark_submitted(first, experts)
    second = make_round(study, status=Round.Status.OPEN)
    client.get(f"/e/{token_issue(expert=experts[0])}/")
    client.post("/e/consent/", {"consent": "yes"})
    return study, experts, first, second


def item_of(round_: Round):
    return round_.items.order_by("id").first()


def names(item) -> tuple[str, str, str]:
    key = f"{item.area_id}-{item.criterion_id}"
    return f"r-{key}", f"dissent-{key}", f"reason-{key}"


def dissent_in(round_: Round, experts, item) -> None:
    ItemStatement.objects.bulk_create(
        ItemStatement(
            round=round_, expert=e, kind="dissent", area_id=item.area_id, criterion_id=item.criterion_id, text="No."
        )
        for e in experts
    )


def test_the_form_offers_dissent_on_every_item(client, panel):
    _study, _experts, _first, second = panel
    body = client.get("/e/round/").content.decode()
    assert body.count("Record dissent on this item") == second.items.count()


def test_autosave_records_dissent_and_the_form_shows_it_back(client, panel):
    _study, experts, _first, second = panel
    item = item_of(second)
    _rating, dissent, _reason = names(item)
    response = client.post(f"/e/round/{second.uuid}/save/", {dissent: "The panel ignores verification costs."}, **HTMX)
    assert response.status_code == 200
    statement = ItemStatement.objects.get()
    assert (statement.expert_id, statement.kind, statement.text) == (
        experts[0].pk,
        StatementKind.DISSENT,
        "The panel ignores verification costs.",
    )
    body = client.get("/e/round/").content.decode()
    assert "You recorded dissent on this item" in body
    assert "The panel ignores verification costs." in body


def test_a_plain_save_with_a_bad_statement_saves_nothing_and_names_the_field(client, panel):
    _study, _experts, _first, second = panel
    item = item_of(second)
    rating, dissent, _reason = names(item)
    response = client.post(f"/e/round/{second.uuid}/", {rating: "7", dissent: "x" * 1001, "action": "save"})
    assert response.status_code == 400
    assert "At most 1000 characters." in response.content.decode()
    assert not ItemStatement.objects.exists()
    assert not Rating.objects.filter(round=second).exists()


def test_a_plain_save_posting_every_empty_box_writes_no_statement(client, panel):
    _study, _experts, _first, second = panel
    data = {names(item)[1]: "" for item in second.items.all()}
    item = item_of(second)
    data[names(item)[1]] = "Dissent here."
    response = client.post(f"/e/round/{second.uuid}/", {**data, "action": "save"})
    assert response.status_code == 302
    assert list(ItemStatement.objects.values_list("text", flat=True)) == ["Dissent here."]
    assert ItemStatementRevision.objects.count() == 1


@pytest.mark.parametrize(("dissenters", "expected", "absent"), [
    (0, None, ("Dissent was recorded", "recorded dissent on this item.")),
    (2, "Dissent was recorded on this item.", ("2 experts recorded dissent",)),
    (3, "3 experts recorded dissent on this item.", ("Dissent was recorded",)),
])  # fmt: skip
def test_other_experts_see_that_dissent_exists_and_its_count_only_from_k(client, panel, dissenters, expected, absent):
    _study, experts, first, _second = panel
    dissent_in(first, experts[1 : 1 + dissenters], item_of(first))
    body = client.get("/e/round/").content.decode()
    if expected:
        assert body.count(expected) == 1
    for text in absent:
        assert text not in body
    assert "No." not in body  # the statements themselves are never shown to other experts


def test_dissent_in_the_open_round_is_never_shown_in_real_time_feedback(client):
    """Real-time feedback shows the open round itself: a dissent mark appearing between two views would tell
    that one more expert dissented since, so experts see dissent of closed rounds only."""
    study = make_study(
        title="Live dissent", min_group_size=3, mode=Study.Mode.REALTIME, feedback_timing=Study.FeedbackTiming.BEFORE
    )
    experts = make_experts(study, 6)
    live = make_round(study, status=Round.Status.OPEN)
    Rating.objects.bulk_create(
        Rating(round=live, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
        for expert in experts[1:]
        for item in live.items.all()
    )
    mark_submitted(live, experts[1:])
    client.get(f"/e/{token_issue(expert=experts[0])}/")
    client.post("/e/consent/", {"consent": "yes"})
    before = client.get("/e/round/").content.decode()
    dissent_in(live, experts[1:5], item_of(live))
    after = client.get("/e/round/").content.decode()
    for body in (before, after):
        assert "Dissent was recorded" not in body
        assert "recorded dissent on this item" not in body


def test_dissent_is_not_shown_before_the_expert_rates_when_feedback_waits_for_their_answer(client, panel):
    study, experts, first, _second = panel
    study.feedback_timing = Study.FeedbackTiming.AFTER_OWN
    study.save()
    dissent_in(first, experts[1:4], item_of(first))
    assert "experts recorded dissent" not in client.get("/e/round/").content.decode()


def test_the_form_asks_why_a_rating_moved_beyond_the_threshold_and_saves_the_reason(client, panel):
    study, _experts, _first, second = panel
    item = item_of(second)
    rating, _dissent, reason = names(item)
    client.post(f"/e/round/{second.uuid}/save/", {rating: "6"}, **HTMX)  # moved 1: within the default 3
    body = client.get("/e/round/").content.decode()
    box = body.split(f'id="{reason}"')[0].rsplit('<div class="change-reason', 1)[1]
    assert "hidden" in box
    client.post(f"/e/round/{second.uuid}/save/", {rating: "9"}, **HTMX)  # moved 4
    body = client.get("/e/round/").content.decode()
    box = body.split(f'id="{reason}"')[0].rsplit('<div class="change-reason', 1)[1]
    assert "hidden" not in box
    assert "Your rating moved from 5 in your previous round." in body
    client.post(f"/e/round/{second.uuid}/save/", {reason: "New evidence on chip tracking."}, **HTMX)
    assert ItemStatement.objects.get(kind=StatementKind.CHANGE_REASON).text == "New evidence on chip tracking."
    study.change_reason_threshold = None
    study.save()
    assert f'id="{reason}"' not in client.get("/e/round/").content.decode()


def test_round_one_never_asks_for_a_reason(client):
    study = make_study(title="First round")
    expert = make_experts(study, 3)[0]
    make_round(study, status=Round.Status.OPEN)
    client.get(f"/e/{token_issue(expert=expert)}/")
    client.post("/e/consent/", {"consent": "yes"})
    assert 'class="change-reason' not in client.get("/e/round/").content.decode()


def test_dissent_on_a_quantity_question_by_htmx_and_by_plain_post(client, panel):
    study, _experts, _first, second = panel
    question = QuantityQuestion.objects.create(
        study=study, area=study.areas.earliest("order"), code="q1", title="Inspectors", lower_bound=0
    )
    url = f"/e/round/{second.uuid}/quantity/{question.uuid}/dissent/"
    assert "Record dissent on this question" in client.get("/e/round/").content.decode()
    response = client.post(url, {"text": "Bounds are too tight."}, **HTMX)
    assert response.status_code == 200
    assert "Saved." in response.content.decode()
    assert ItemStatement.objects.get(question=question).text == "Bounds are too tight."
    response = client.post(url, {"text": "x" * 1001}, **HTMX)
    assert response.status_code == 400
    assert ItemStatement.objects.get(question=question).text == "Bounds are too tight."
    response = client.post(url, {"text": ""})
    assert response.status_code == 302
    assert ItemStatement.objects.get(question=question).text == ""


def test_dissent_on_another_studys_question_is_not_found(client, panel, study_b):
    _study, _experts, _first, second = panel
    other = QuantityQuestion.objects.create(
        study=study_b, area=study_b.areas.earliest("order"), code="q1", title="Elsewhere", lower_bound=0
    )
    response = client.post(f"/e/round/{second.uuid}/quantity/{other.uuid}/dissent/", {"text": "No."})
    assert response.status_code == 404
    assert not ItemStatement.objects.exists()
