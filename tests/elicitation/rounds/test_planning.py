"""Between rounds: items continue or drop, areas are reworded (recorded) and added (linked to suggestions)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Area, AreaRevision, AuditEvent, Rating, Round, Suggestion
from elicitation.rounds.selectors import area_revisions_for_round
from elicitation.rounds.services.lifecycle import round_create
from elicitation.rounds.services.planning import (
    area_add,
    area_reword,
    items_reached_consensus,
    preselect_continuing_items,
    round_plan_next,
)
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_round(study_a):
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(round_)
    return round_


def test_by_default_every_item_continues(closed_round):
    assert items_reached_consensus(closed_round) == set()
    chosen = preselect_continuing_items(closed_round, items_reached_consensus(closed_round))
    assert chosen == set(closed_round.items.values_list("area_id", "criterion_id"))


def test_items_that_reached_consensus_are_not_preselected(closed_round):
    reached = set(list(closed_round.items.values_list("area_id", "criterion_id"))[:5])
    chosen = preselect_continuing_items(closed_round, reached)
    assert len(chosen) == 24 - 5
    assert not chosen & reached


def test_areas_added_since_are_preselected(closed_round, coordinator_a):
    area = area_add(study=closed_round.study, user=coordinator_a, title="Compute governance")
    chosen = preselect_continuing_items(closed_round)
    assert {(area.pk, c.pk) for c in closed_round.study.criteria.all()} <= chosen


def test_an_added_areas_code_keeps_whole_words(closed_round, coordinator_a):
    """Issue 20: exports showed ``watermarking-and-provenance-stan``, the code cut at 32 characters."""
    study = closed_round.study
    area = area_add(study=study, user=coordinator_a, title="Watermarking and provenance standards")
    assert area.code == "watermarking-and-provenance-standards"
    again = area_add(study=study, user=coordinator_a, title="Watermarking and provenance standards")
    assert again.code == "watermarking-and-provenance-standards-2"
    title = "Shared evaluation suites for dangerous capability thresholds"
    long = area_add(study=study, user=coordinator_a, title=title)
    assert long.code == "shared-evaluation-suites-for"
    max_length = Area._meta.get_field("code").max_length
    assert max_length is not None
    assert len(long.code) <= max_length


def test_planning_creates_the_next_draft_and_keeps_the_old_answers(closed_round, coordinator_a):
    items = list(closed_round.items.values_list("area_id", "criterion_id"))
    ratings_before = Rating.objects.filter(round=closed_round).count()
    plan = round_plan_next(closed_round=closed_round, items=items[:10], user=coordinator_a)
    assert plan.number == 2
    assert plan.status == Round.Status.DRAFT
    assert plan.items.count() == 10
    assert Rating.objects.filter(round=closed_round).count() == ratings_before
    assert closed_round.items.count() == 24  # the past round still shows what it asked
    again = round_plan_next(closed_round=closed_round, items=items[:4], user=coordinator_a)
    assert again.pk == plan.pk
    assert again.items.count() == 4


def test_planning_needs_a_closed_round(study_a, coordinator_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    with pytest.raises(IllegalTransition):
        round_plan_next(closed_round=round_, items=[], user=coordinator_a)


def test_rewording_records_the_change_for_the_next_round(closed_round, coordinator_a):
    area = closed_round.study.areas.get(code="verification")
    revision = area_reword(area=area, user=coordinator_a, title="Verification tools", description="Checking claims.")
    area.refresh_from_db()
    assert (area.title, area.description) == ("Verification tools", "Checking claims.")
    assert revision.round_number == 2
    assert (revision.old_title, revision.new_title) == ("Verification mechanisms", "Verification tools")
    assert revision.changed_by == coordinator_a
    next_round = round_create(study=closed_round.study)
    assert area_revisions_for_round(next_round) == {area.pk: revision}
    assert area_revisions_for_round(closed_round) == {}
    event = AuditEvent.objects.get(action="area.reword")
    assert event.detail["old_title"] == "Verification mechanisms"


def test_rewording_a_drafted_round_targets_that_round(closed_round, coordinator_a):
    draft = round_create(study=closed_round.study)
    revision = area_reword(area=closed_round.study.areas.first(), user=coordinator_a, title="New", description="")
    assert revision.round_number == draft.number


def test_an_area_in_the_open_round_cannot_be_reworded(study_a, coordinator_a):
    make_round(study_a, status=Round.Status.OPEN)
    area = study_a.areas.first()
    with pytest.raises(IllegalTransition):
        area_reword(area=area, user=coordinator_a, title="Changed", description="")
    assert not AreaRevision.objects.exists()


@pytest.mark.parametrize(
    ("title", "description", "field"), [("", "", "title"), ("x" * 201, "", "title"), ("Ok", "d" * 5001, "description")]
)
def test_bad_wording_is_refused_with_the_field(closed_round, coordinator_a, title, description, field):
    area = closed_round.study.areas.first()
    with pytest.raises(InvalidInput) as error:
        area_reword(area=area, user=coordinator_a, title=title, description=description)
    assert field in error.value.field_errors
    assert not AreaRevision.objects.exists()


def test_a_new_area_keeps_the_link_to_its_suggestions(closed_round, coordinator_a):
    experts = list(closed_round.study.experts.all()[:2])
    first = Suggestion.objects.create(round=closed_round, expert=experts[0], text="Joint incident database")
    second = Suggestion.objects.create(round=closed_round, expert=experts[1], text="Shared incident reporting")
    draft = round_create(study=closed_round.study)
    area = area_add(
        study=closed_round.study,
        user=coordinator_a,
        title="Incident sharing",
        description="A common incident format.",
        suggestion_ids=[first.pk, second.pk],
    )
    assert set(area.suggestions.all()) == {first, second}
    assert area.code == "incident-sharing"
    assert area.order > closed_round.study.areas.exclude(pk=area.pk).order_by("-order").first().order
    assert draft.items.filter(area=area).count() == 6  # joins the drafted round with every criterion
    assert list(first.areas.all()) == [area]


def test_suggestions_of_another_study_are_refused(closed_round, coordinator_a, study_b):
    other_round = make_round(study_b, status=Round.Status.CLOSED)
    foreign = Suggestion.objects.create(round=other_round, expert=study_b.experts.first(), text="x")
    with pytest.raises(InvalidInput):
        area_add(study=closed_round.study, user=coordinator_a, title="New", suggestion_ids=[foreign.pk])
    assert not Area.objects.filter(title="New").exists()


def test_area_codes_stay_unique(closed_round, coordinator_a):
    one = area_add(study=closed_round.study, user=coordinator_a, title="Infrastructure")
    assert one.code == "infrastructure-2"


# Pages


def plan_url(round_):
    return reverse("round-plan", kwargs={"study_uuid": round_.study.uuid, "round_uuid": round_.uuid})


def test_the_plan_page_preselects_and_saves_the_next_round(coordinator_client, closed_round):
    page = coordinator_client.get(plan_url(closed_round))
    assert page.status_code == 200
    assert page.content.decode().count(" checked") == 24
    items = list(closed_round.items.values_list("area_id", "criterion_id"))[:3]
    response = coordinator_client.post(plan_url(closed_round), {"item": [f"{a}:{c}" for a, c in items]})
    assert response.status_code == 303
    draft = Round.objects.get(study=closed_round.study, number=2)
    assert set(draft.items.values_list("area_id", "criterion_id")) == set(items)


@pytest.mark.parametrize("items", [[], ["nonsense"], ["1:2:3"]])
def test_a_bad_plan_is_a_400_and_writes_nothing(coordinator_client, closed_round, items):
    assert coordinator_client.post(plan_url(closed_round), {"item": items}).status_code == 400
    assert not Round.objects.filter(number=2).exists()


def test_items_of_another_study_are_refused_by_the_plan_page(coordinator_client, closed_round, study_b):
    foreign = f"{study_b.areas.first().pk}:{study_b.criteria.first().pk}"
    assert coordinator_client.post(plan_url(closed_round), {"item": [foreign]}).status_code == 400
    assert not Round.objects.filter(number=2).exists()


def test_a_draft_rounds_items_are_edited_on_the_same_page(coordinator_client, study_a):
    draft = round_create(study=study_a)
    area = study_a.areas.first()
    chosen = [f"{area.pk}:{c.pk}" for c in study_a.criteria.all()]
    assert coordinator_client.post(plan_url(draft), {"item": chosen}).status_code == 303
    assert draft.items.count() == 6


def test_an_open_round_has_no_plan_page(coordinator_client, study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    assert coordinator_client.get(plan_url(round_)).status_code == 409


def test_reword_and_add_through_the_pages(coordinator_client, closed_round):
    study = closed_round.study
    area = study.areas.first()
    suggestion = Suggestion.objects.create(round=closed_round, expert=study.experts.first(), text="Chip registries")
    response = coordinator_client.post(
        reverse("round-area-reword", kwargs={"study_uuid": study.uuid, "area_uuid": area.uuid}),
        {"title": "Reworded", "description": "New text", "round": str(closed_round.uuid)},
    )
    assert response.status_code == 303
    assert response["Location"] == plan_url(closed_round)
    assert AreaRevision.objects.get(area=area).new_title == "Reworded"
    response = coordinator_client.post(
        reverse("round-area-add", kwargs={"study_uuid": study.uuid}),
        {
            "title": "Chip registries",
            "description": "",
            "suggestions": [suggestion.pk],
            "round": str(closed_round.uuid),
        },
    )
    assert response.status_code == 303
    assert list(Area.objects.get(title="Chip registries").suggestions.all()) == [suggestion]
    page = coordinator_client.get(plan_url(closed_round)).content.decode()
    assert "Chip registries" in page
    assert "used in 1 area" in page


def test_bad_area_input_is_a_400(coordinator_client, closed_round):
    study = closed_round.study
    response = coordinator_client.post(reverse("round-area-add", kwargs={"study_uuid": study.uuid}), {"title": ""})
    assert response.status_code == 400
    response = coordinator_client.post(
        reverse("round-area-add", kwargs={"study_uuid": study.uuid}), {"title": "Ok", "suggestions": ["999999"]}
    )
    assert response.status_code == 400
    assert study.areas.count() == 4


def test_another_coordinator_cannot_reword_or_add(client, coordinator_b, closed_round):
    client.force_login(coordinator_b)
    study = closed_round.study
    area = study.areas.first()
    url = reverse("round-area-reword", kwargs={"study_uuid": study.uuid, "area_uuid": area.uuid})
    assert client.post(url, {"title": "Mine now"}).status_code == 404
    assert client.post(reverse("round-area-add", kwargs={"study_uuid": study.uuid}), {"title": "x"}).status_code == 404
    assert not AreaRevision.objects.exists()
    assert study.areas.count() == 4


def test_only_the_latest_round_plans_the_next(coordinator_client, closed_round, coordinator_a):
    later = make_round(closed_round.study, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(IllegalTransition, match="already followed"):
        round_plan_next(closed_round=closed_round, items=[], user=coordinator_a)
    assert coordinator_client.get(plan_url(closed_round)).status_code == 409
    detail = reverse("round-detail", kwargs={"study_uuid": later.study.uuid, "round_uuid": closed_round.uuid})
    assert plan_url(closed_round) not in coordinator_client.get(detail).content.decode()


def test_a_drafted_next_round_does_not_block_planning(coordinator_client, closed_round):
    round_create(study=closed_round.study)
    assert coordinator_client.get(plan_url(closed_round)).status_code == 200


def test_rewording_twice_shows_the_wording_experts_last_saw(closed_round, coordinator_a):
    area = closed_round.study.areas.get(code="verification")
    first = area_reword(area=area, user=coordinator_a, title="Second wording", description="")
    area_reword(area=area, user=coordinator_a, title="Third wording", description="")
    next_round = round_create(study=closed_round.study)
    shown = area_revisions_for_round(next_round)[area.pk]
    assert shown == first
    assert shown.old_title == "Verification mechanisms"


def test_round_one_shows_no_rewording(study_a, coordinator_a):
    draft = round_create(study=study_a)
    area_reword(area=study_a.areas.first(), user=coordinator_a, title="Before anyone saw it", description="")
    assert area_revisions_for_round(draft) == {}


def test_the_aggregations_panel_verdicts_say_what_reached_consensus(study_a, coordinator_client):
    from aggregation.services import round_aggregate

    round_ = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(round_, [8])  # everyone agrees on every item…
    split = round_.items.first()
    assert split is not None
    ratings = Rating.objects.filter(round=round_, area_id=split.area_id, criterion_id=split.criterion_id)
    for index, rating in enumerate(ratings.order_by("expert__number")):
        rating.value = 1 if index % 2 else 9  # …except one, where the panel splits
        rating.save()
    round_aggregate(round_id=round_.pk)

    reached = items_reached_consensus(round_)
    asked = set(round_.items.values_list("area_id", "criterion_id"))
    assert reached == asked - {(split.area_id, split.criterion_id)}
    assert preselect_continuing_items(round_, reached) == {(split.area_id, split.criterion_id)}
    body = coordinator_client.get(plan_url(round_)).content.decode()
    assert body.count(" checked") == 1
    assert body.count('class="badge"') == 23
