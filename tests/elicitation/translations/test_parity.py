"""Bilingual parity: a round does not open while a text an expert reads is missing or stale in their language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import AreaRevision, AuditEvent, Round
from elicitation.rounds.services.lifecycle import round_open
from elicitation.rounds.services.planning import area_add, area_reword
from elicitation.setup.services.items import area_update, criterion_update
from elicitation.setup.services.translations import MISSING, STALE, parity_problems, text_confirm, text_state
from tests.factories import make_bilingual_study, make_experts, make_round, make_study

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]


def in_a_week():
    return timezone.now() + dt.timedelta(days=7)


@pytest.fixture
def study(coordinator_a):
    study = make_bilingual_study(coordinator=coordinator_a)
    make_experts(study, 3, language="en")
    make_experts(study, 3, language="zh-hans")
    return study


def draft_after_round_1(study):
    make_round(study, status=Round.Status.CLOSED)
    return make_round(study)


def test_a_study_whose_texts_exist_in_both_languages_opens(study):
    draft = make_round(study)
    assert parity_problems(draft) == []
    assert round_open(round=draft, user=None, deadline=in_a_week()).status == Round.Status.OPEN


def test_rewording_an_area_in_english_only_blocks_the_round_naming_the_item_and_language(study, coordinator_a):
    draft = draft_after_round_1(study)
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="Jointly built tools.")
    with pytest.raises(IllegalTransition) as refused:
        round_open(round=draft, user=coordinator_a, deadline=in_a_week())
    message = refused.value.message
    assert "Area “Shared infrastructure”" in message
    assert "简体中文 title" in message
    assert "简体中文 description" in message
    assert "update it or confirm" in message
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


def test_confirming_the_other_language_lets_the_round_open(study, coordinator_a):
    draft = draft_after_round_1(study)
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="About Infrastructure.")
    for key in ("title",):
        text_confirm(study=study, kind="area", owner_id=area.pk, key=key, language="zh-hans", user=coordinator_a)
    assert parity_problems(draft) == []
    assert round_open(round=draft, user=coordinator_a, deadline=in_a_week()).is_open
    assert AuditEvent.objects.filter(action="text.confirmed", detail__language="zh-hans").exists()


def test_updating_the_other_language_lets_the_round_open_and_keeps_each_languages_history(study, coordinator_a):
    draft = draft_after_round_1(study)
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="About Infrastructure.")
    area.refresh_from_db()
    area_reword(
        area=area,
        user=coordinator_a,
        title="Shared infrastructure",
        description="About Infrastructure.",
        translations={"zh-hans": {"title": "共建基础设施", "description": "关于基础设施。"}},
    )
    assert parity_problems(draft) == []
    history = {(r.language, r.old_title, r.new_title) for r in AreaRevision.objects.filter(area=area)}
    assert history == {("en", "Infrastructure", "Shared infrastructure"), ("zh-hans", "基础设施", "共建基础设施")}
    assert round_open(round=draft, user=coordinator_a, deadline=in_a_week()).is_open


def test_rewording_both_languages_at_once_marks_neither_stale(study, coordinator_a):
    area = study.areas.get(code="evaluations")
    area_reword(
        area=area,
        user=coordinator_a,
        title="Dangerous-capability evaluations",
        description="Testing models.",
        translations={"zh-hans": {"title": "危险能力评估", "description": "测试模型。"}},
    )
    area.refresh_from_db()
    for language in LANGUAGES:
        for key in ("title", "description"):
            assert text_state(area, key, language, default_language="en", languages=LANGUAGES) == ""


def test_rewording_chinese_only_makes_english_stale(study, coordinator_a):
    area = study.areas.get(code="protocols")
    area_update(area=area, user=coordinator_a, translations={"zh-hans": {"title": "共同规程", "description": "x"}})
    area.refresh_from_db()
    assert text_state(area, "title", "en", default_language="en", languages=LANGUAGES) == STALE
    assert text_state(area, "title", "zh-hans", default_language="en", languages=LANGUAGES) == ""


def test_a_criterion_label_changed_in_english_makes_the_chinese_label_stale(study, coordinator_a):
    criterion = study.criteria.get(code="R1")
    criterion_update(criterion=criterion, user=coordinator_a, label_max="Directly raises frontier capabilities")
    draft = make_round(study)
    problems = parity_problems(draft)
    assert [(p.owner_label, p.key, p.language, p.state) for p in problems] == [
        ("Criterion R1 “Advancing dangerous capabilities”", "label_max", "zh-hans", STALE)
    ]


def test_an_area_added_without_chinese_blocks_the_round_until_translated(study, coordinator_a):
    area = area_add(study=study, user=coordinator_a, title="Joint red-teaming", description="Testing together.")
    draft = make_round(study)
    problems = [(p.owner_id, p.key, p.state) for p in parity_problems(draft)]
    assert (area.pk, "title", MISSING) in problems
    with pytest.raises(IllegalTransition, match="has no 简体中文 version"):
        round_open(round=draft, user=coordinator_a, deadline=in_a_week())


def test_an_area_added_in_both_languages_is_complete(study, coordinator_a):
    area = area_add(
        study=study,
        user=coordinator_a,
        title="Joint red-teaming",
        description="Testing together.",
        translations={"zh-hans": {"title": "联合红队测试", "description": "共同测试。"}},
    )
    assert area.localized("zh-hans") == {"title": "联合红队测试", "description": "共同测试。"}
    assert parity_problems(make_round(study)) == []


def test_a_missing_chinese_introduction_blocks_a_round_with_chinese_experts(study, coordinator_a):
    del study.translations["zh-hans"]["introduction"]
    study.save()
    with pytest.raises(IllegalTransition, match="The study: the introduction has no 简体中文 version"):
        round_open(round=make_round(study), user=coordinator_a, deadline=in_a_week())


def test_chinese_gaps_do_not_block_a_panel_that_reads_only_english(coordinator_a):
    study = make_study(coordinator=coordinator_a, languages=["en", "zh-hans"])
    make_experts(study, 3, language="en")
    assert parity_problems(make_round(study)) == []


def test_confirming_a_text_that_is_not_stale_is_refused(study, coordinator_a):
    area = study.areas.get(code="protocols")
    with pytest.raises(InvalidInput):
        text_confirm(study=study, kind="area", owner_id=area.pk, key="title", language="zh-hans", user=coordinator_a)


def test_the_open_button_answers_409_with_the_item_and_language(client, study, coordinator_a):
    draft = draft_after_round_1(study)
    area = study.areas.get(code="infrastructure")
    area_reword(area=area, user=coordinator_a, title="Shared infrastructure", description="About Infrastructure.")
    client.force_login(coordinator_a)
    url = reverse("round-open", kwargs={"study_uuid": study.uuid, "round_uuid": draft.uuid})
    deadline = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"deadline": deadline, "time_zone": "UTC"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Area “Shared infrastructure”: the 简体中文 title is older" in body
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT
