"""Areas and criteria: edits keep history; nothing rated is deleted or re-meant."""

import pytest

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import AreaRevision
from elicitation.setup.services.items import (
    area_create,
    area_set_active,
    area_update,
    criterion_create,
    criterion_set_active,
    criterion_update,
)
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db


def test_an_area_is_created_at_the_end_with_translations(study_a, coordinator_a):
    area = area_create(
        study=study_a, user=coordinator_a, code="red-teaming", title="Joint red-teaming",
        translations={"zh-hans": {"title": "联合红队测试", "description": ""}},
    )  # fmt: skip
    assert area.order == 4
    assert area.translations == {"zh-hans": {"title": "联合红队测试"}}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "verification", "title": "Twice"}, "code"),
        ({"code": "VERIFICATION", "title": "Twice, other case"}, "code"),
        ({"code": "has space", "title": "x"}, "code"),
        ({"code": "", "title": "x"}, "code"),
        ({"code": "ok", "title": " "}, "title"),
        ({"code": "ok", "title": "x" * 201}, "title"),
        ({"code": "ok", "title": "x", "translations": {"fr": {"title": "x"}}}, "translations"),
    ],
)
def test_bad_areas_are_refused(study_a, coordinator_a, fields, field):
    with pytest.raises(InvalidInput) as caught:
        area_create(study=study_a, user=coordinator_a, **fields)
    assert field in caught.value.field_errors
    assert study_a.areas.count() == 4


def test_rewording_an_area_before_any_round_leaves_no_revision(study_a, coordinator_a):
    area = study_a.areas.get(code="protocols")
    area_update(area=area, user=coordinator_a, title="Common protocols")
    assert not AreaRevision.objects.exists()


def test_rewording_an_area_experts_have_seen_records_a_revision_for_the_next_round(study_a, coordinator_a):
    make_round(study_a, status="closed")
    area = study_a.areas.get(code="protocols")
    area_update(area=area, user=coordinator_a, title="Common protocols", description="New words.")
    revision = AreaRevision.objects.get(area=area)
    assert (revision.old_title, revision.new_title) == ("Shared protocols", "Common protocols")
    assert revision.round_number == 2
    assert revision.changed_by == coordinator_a
    with pytest.raises(InvalidInput) as caught:
        area_update(area=area, user=coordinator_a, code="renamed")
    assert "code" in caught.value.field_errors


def test_an_area_in_the_open_round_cannot_be_reworded_but_can_be_retired(study_a, coordinator_a):
    make_round(study_a, status="open")
    area = study_a.areas.get(code="protocols")
    with pytest.raises(IllegalTransition):
        area_update(area=area, user=coordinator_a, title="Mid-round change")
    area_set_active(area=area, user=coordinator_a, active=False)
    area.refresh_from_db()
    assert area.title == "Shared protocols"
    assert not area.is_active


def test_retiring_a_rated_criterion_keeps_its_ratings(study_a, coordinator_a):
    round_ = make_round(study_a, status="closed")
    ratings = rate_everything(round_)
    criterion = study_a.criteria.get(code="R1")
    criterion_set_active(criterion=criterion, user=coordinator_a, active=False)
    criterion.refresh_from_db()
    assert not criterion.is_active
    assert round_.ratings.count() == len(ratings)


@pytest.mark.parametrize("change", [{"scale_max": 7}, {"kind": "benefit"}, {"code": "RX"}])
def test_a_rated_criterion_keeps_its_meaning(study_a, coordinator_a, change):
    rate_everything(make_round(study_a, status="closed"))
    criterion = study_a.criteria.get(code="R1")
    with pytest.raises(InvalidInput) as caught:
        criterion_update(criterion=criterion, user=coordinator_a, **change)
    assert set(change) <= set(caught.value.field_errors)


def test_an_unrated_criterion_can_change_scale_and_wording(study_a, coordinator_a):
    criterion = study_a.criteria.get(code="B1")
    criterion_update(
        criterion=criterion, user=coordinator_a, scale_min=0, scale_max=10, label_min="None", label_max="All",
        translations={"zh-hans": {"label_min": "无", "label_max": "全部"}},
    )  # fmt: skip
    criterion.refresh_from_db()
    assert list(criterion.scale_values()) == list(range(11))
    assert criterion.translations["zh-hans"]["label_max"] == "全部"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "neutral"}, "kind"),
        ({"kind": "risk", "scale_min": 5, "scale_max": 5}, "scale_max"),
        ({"kind": "risk", "scale_min": -1}, "scale_min"),
        ({"kind": "risk", "scale_max": 101}, "scale_max"),
        ({"kind": "risk", "code": "B1"}, "code"),
    ],
)
def test_bad_criteria_are_refused(study_a, coordinator_a, fields, field):
    values = {"code": "X1", "title": "New", **fields}
    with pytest.raises(InvalidInput) as caught:
        criterion_create(study=study_a, user=coordinator_a, **values)
    assert field in caught.value.field_errors
    assert study_a.criteria.count() == 6


def test_criterion_texts_fall_back_field_by_field(study_a):
    criterion = study_a.criteria.get(code="B1")
    criterion.translations = {"zh-hans": {"title": "降低风险", "label_max": "非常高"}}
    texts = criterion.localized("zh-hans")
    assert texts == {
        "title": "降低风险",
        "description": criterion.description,
        "label_min": "Very low",
        "label_max": "非常高",
    }
    assert criterion.localized(None)["label_max"] == "Very high"
