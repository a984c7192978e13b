"""Study templates ship as data files and create complete, bilingual studies."""

import re

import pytest

from elicitation.models import AuditEvent
from elicitation.services.errors import InvalidInput
from elicitation.services.studies import study_create
from elicitation.services.translations import study_text_problems
from elicitation.study_templates import available_templates, get_template


def test_both_templates_load():
    assert set(available_templates()) == {"ai_safety_cooperation", "jurisdictional_certification"}


@pytest.mark.parametrize("key", ["ai_safety_cooperation", "jurisdictional_certification"])
def test_every_text_of_a_template_has_a_simplified_chinese_translation(key):
    template = get_template(key)
    assert template is not None
    data = template.data
    assert data["translations"]["zh-hans"]["title"]
    for area in data["areas"]:
        assert set(area["translations"]["zh-hans"]) == {"title", "description"}
    for criterion in data["criteria"]:
        assert set(criterion["translations"]["zh-hans"]) == {"title", "description", "label_min", "label_max"}
        assert criterion["label_min"]
        assert criterion["label_max"]
        assert (criterion["scale_min"], criterion["scale_max"]) == (1, 9)


@pytest.mark.parametrize("key", ["ai_safety_cooperation", "jurisdictional_certification"])
def test_the_study_texts_of_a_template_exist_in_both_languages(key):
    """Question, introduction, information sheet and every bloc and sector name, in English and Chinese."""
    data = get_template(key).data  # type: ignore[union-attr]
    zh = data["translations"]["zh-hans"]
    for text in ("question", "introduction", "consent_text"):
        assert data[text]
        assert zh[text]
        assert not re.search(r"[A-Za-z]{4,}", zh[text]), f"English left in the Chinese {text}"
    assert all(zh[f"bloc:{name}"] for name in data["blocs"])
    assert all(zh[f"sector:{name}"] for name in data["sectors"])
    # The anonymity promise is the app's own sentence in every invitation: the introduction must not repeat it.
    assert "anonymous" not in data["introduction"]
    assert "匿名" not in zh["introduction"]


@pytest.mark.django_db
def test_a_study_from_a_template_is_complete_in_both_languages(coordinator_a):
    template = get_template("ai_safety_cooperation")
    study = study_create(user=coordinator_a, title=template.title, template_key=template.key)  # type: ignore[union-attr]
    zh = study.localized("zh-hans")
    assert zh["title"] == "技术性人工智能安全合作"
    assert zh["question"].startswith("地缘政治上的竞争对手")
    assert zh["consent_text"].startswith("研究内容")
    assert study.group_name("China", "zh-hans") == "中国"
    assert study_text_problems(study) == []


@pytest.mark.django_db
def test_a_study_with_its_own_title_and_question_gets_no_translation_of_the_templates(coordinator_a):
    study = study_create(
        user=coordinator_a, title="Rivals", question="Our own question?", template_key="ai_safety_cooperation"
    )
    problems = {(p.owner_kind, p.key, p.state) for p in study_text_problems(study)}
    assert problems == {("study", "title", "missing"), ("study", "question", "missing")}


def test_the_ai_safety_template_has_the_four_areas_and_six_criteria_of_the_paper():
    template = get_template("ai_safety_cooperation")
    assert template is not None
    data = template.data
    assert [a["title"] for a in data["areas"]] == [
        "Verification mechanisms",
        "Shared protocols",
        "Infrastructure",
        "Evaluations",
    ]
    assert [(c["code"], c["kind"]) for c in data["criteria"]] == [
        ("B1", "benefit"), ("B2", "benefit"), ("B3", "benefit"), ("R1", "risk"), ("R2", "risk"), ("R3", "risk"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_study_from_a_template_gets_its_items_rule_and_coordinator(coordinator_a):
    study = study_create(user=coordinator_a, title="  Rivals  ", template_key="ai_safety_cooperation")
    assert study.title == "Rivals"
    assert list(study.coordinators.all()) == [coordinator_a]
    assert study.areas.count() == 4
    assert study.criteria.filter(kind="risk").count() == 3
    area = study.areas.get(code="verification")
    assert area.localized("zh-hans")["title"] == "核查机制"
    assert area.localized("en")["title"] == "Verification mechanisms"
    criterion = study.criteria.get(code="R2")
    assert criterion.translations["zh-hans"]["label_max"] == "需要涉密或安全关键信息"
    rule = study.current_rule()
    assert rule is not None
    assert (rule.version, rule.max_iqr, rule.band, rule.frozen_at) == (1, 1, "high", None)
    assert study.question.startswith("In which areas")
    assert AuditEvent.objects.filter(study=study, action="study.created").exists()


@pytest.mark.django_db
def test_a_blank_study_has_no_items(coordinator_a):
    study = study_create(user=coordinator_a, title="Blank")
    assert study.areas.count() == 0
    assert study.consensus_rules.count() == 0


@pytest.mark.django_db
def test_an_unknown_template_or_empty_title_is_refused(coordinator_a):
    with pytest.raises(InvalidInput) as caught:
        study_create(user=coordinator_a, title=" ", template_key="nope")
    assert set(caught.value.field_errors) == {"title", "template"}
