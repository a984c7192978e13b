"""Study templates ship as data files and create complete, bilingual, neutral studies."""

import json
import re

import pytest

from core.errors import InvalidInput
from elicitation.models import AuditEvent, Criterion
from elicitation.setup.services.studies import study_create
from elicitation.setup.services.translations import study_text_problems
from elicitation.setup.study_templates import available_templates, get_template, load_template

TEMPLATE_KEYS = ["ai_safety_cooperation", "jurisdictional_certification"]
# Words that state a worry about cooperating. The criteria ask experts about risks; an item's
# description that names them for some areas only tells experts what to answer.
WORRY_WORDS = re.compile(
    r"worr|concern|risk|backdoor|vulnerab|spill|leak|tamper|misuse|threat|sensitive|hostile|"
    r"担忧|担心|顾虑|风险|后门|漏洞|外溢|泄露|泄漏|篡改|滥用|威胁|敏感",
    re.IGNORECASE,
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _texts(template_key):
    """Every (place, English, Chinese) text an expert reads in a template's areas and criteria."""
    template = get_template(template_key)
    assert template is not None
    for area in template.data["areas"]:
        chinese = area["translations"]["zh-hans"]
        for field in ("title", "description"):
            yield f"area {area['code']} {field}", area[field], chinese.get(field)
    for criterion in template.data["criteria"]:
        chinese = criterion["translations"]["zh-hans"]
        for field in ("title", "description", "label_min", "label_max"):
            yield f"criterion {criterion['code']} {field}", criterion[field], chinese.get(field)


def test_both_templates_load():
    assert set(available_templates()) == set(TEMPLATE_KEYS)


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_area_and_criterion_text_is_written_in_english_and_in_chinese(key):
    missing = [place for place, english, chinese in _texts(key) if not english or not chinese]
    untranslated = [place for place, english, chinese in _texts(key) if chinese and not HAN.search(chinese)]
    assert (missing, untranslated) == ([], [])


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_no_area_description_names_worries_about_cooperating(key):
    template = get_template(key)
    assert template is not None
    worded = {
        area["code"]: found
        for area in template.data["areas"]
        for text in (area["description"], area["translations"]["zh-hans"]["description"])
        if (found := WORRY_WORDS.findall(text))
    }
    assert worded == {}


def test_the_worry_check_catches_the_old_one_sided_wording():
    old_infrastructure = "Jointly built tools (testing platforms). Main worry: a partner planting backdoors."
    old_evaluations = "测试模型的危险能力和行为。担忧：敏感的国家安全信息、能力外溢。"
    assert WORRY_WORDS.findall(old_infrastructure) == ["worr", "backdoor"]
    assert WORRY_WORDS.findall(old_evaluations) == ["担忧", "敏感", "外溢"]


def test_every_ai_safety_area_is_described_the_same_way():
    """What cooperation would involve, then examples: the same shape for each area, in both languages."""
    template = get_template("ai_safety_cooperation")
    assert template is not None
    shapes = {}
    lengths = []
    for area in template.data["areas"]:
        english, chinese = area["description"], area["translations"]["zh-hans"]["description"]
        shapes[area["code"]] = (
            english.startswith("Joint"),
            english.count("for example"),
            english.endswith("."),
            chinese.startswith("共同"),
            chinese.count("例如"),
            chinese.endswith("。"),
        )
        lengths.append(len(english))
    assert set(shapes.values()) == {(True, 1, True, True, 1, True)}, shapes
    assert max(lengths) <= 1.5 * min(lengths)  # no area gets a much longer, more argued description


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
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


def test_the_ai_safety_template_asks_evaluation_science_and_dangerous_capability_testing_separately():
    template = get_template("ai_safety_cooperation")
    assert template is not None
    data = template.data
    assert [(a["code"], a["title"]) for a in data["areas"]] == [
        ("verification", "Verification mechanisms"),
        ("protocols", "Shared protocols"),
        ("infrastructure", "Infrastructure"),
        ("evaluation-science", "Evaluation science"),
        ("evaluations", "Dangerous-capability evaluations"),
    ]
    assert [(c["code"], c["kind"]) for c in data["criteria"]] == [
        ("B1", "benefit"), ("B2", "benefit"), ("B3", "benefit"), ("R1", "risk"), ("R2", "risk"), ("R3", "risk"),
        ("M1", "mitigability"),
    ]  # fmt: skip
    mitigability = data["criteria"][-1]
    assert "safeguards" in mitigability["description"]
    assert "保障措施" in mitigability["translations"]["zh-hans"]["description"]


def test_the_governance_template_asks_each_institutional_model_on_its_own():
    template = get_template("jurisdictional_certification")
    assert template is not None
    areas = {area["code"]: area for area in template.data["areas"]}
    assert areas["domestic-regime"]["title"] == "Standards, licensing and liability regime"
    models = {"model-icao": "Civil Aviation", "model-imo": "Maritime", "model-fatf": "Financial Action"}
    for code, name in models.items():
        others = [other for other in models.values() if other != name]
        description = areas[code]["description"]
        assert name in description
        assert not any(other in description for other in others), code
    assert "analogies" not in areas
    assert template.data["blocs"] == [
        "Frontier AI developers", "Established AI industry", "Emerging AI industry", "International bodies",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["areas"].append(dict(data["areas"][0])), "areas codes used twice: verification"),
        (lambda data: data["criteria"][0].update(kind="cost"), "unknown kind 'cost'"),
        (lambda data: data["areas"][1].update(title=""), "every item of areas needs a code and a title"),
    ],
)
def test_a_broken_template_file_is_refused_with_the_reason(tmp_path, change, message):
    template = get_template("ai_safety_cooperation")
    assert template is not None
    data = json.loads(json.dumps(template.data))
    change(data)
    path = tmp_path / "ai_safety_cooperation.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_template(path)


@pytest.mark.django_db
def test_a_study_from_a_template_gets_its_items_rule_and_coordinator(coordinator_a):
    study = study_create(user=coordinator_a, title="  Rivals  ", template_key="ai_safety_cooperation")
    assert study.title == "Rivals"
    assert list(study.coordinators.all()) == [coordinator_a]
    assert study.areas.count() == 5
    assert study.criteria.filter(kind="risk").count() == 3
    assert study.criteria.get(kind=Criterion.Kind.MITIGABILITY).code == "M1"
    area = study.areas.get(code="verification")
    assert area.localized("zh-hans")["title"] == "核查机制"
    assert area.localized("en")["title"] == "Verification mechanisms"
    criterion = study.criteria.get(code="R2")
    assert criterion.translations["zh-hans"]["label_max"] == "需要涉密或安全关键信息"
    rule = study.current_rule()
    assert rule is not None
    # COMET's rule at either end (Williamson et al. 2017): agreement that a risk is low is consensus too.
    assert (rule.version, rule.band, rule.frozen_at) == (1, "either", None)
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
