"""Study reuse (services): duplicate, templates, and import of a definition file, all or nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from core.errors import ImportFailed, InvalidInput
from elicitation.models import AuditEvent, InvitationToken, Rating, Round, SavedTemplate, Study
from elicitation.setup.definition import definition_json, parse_definition, study_definition
from elicitation.setup.services.reuse import (
    study_create_from_template,
    study_duplicate,
    study_import,
    template_delete,
    template_save,
)
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_bilingual_study, make_experts, make_user, open_round, rate_everything

pytestmark = pytest.mark.django_db


def _items(study: Study) -> list[list[Any]]:
    areas = list(study.areas.order_by("order").values_list("code", "title", "description", "translations", "is_active"))
    criteria = list(
        study.criteria.order_by("order").values_list(
            "code", "kind", "title", "description", "scale_min", "scale_max", "label_min", "label_max", "translations"
        )
    )
    return [areas, criteria]


def _rule(study: Study) -> tuple[Any, ...]:
    rule = study.current_rule()
    assert rule is not None
    return (rule.max_iqr, rule.band, rule.min_percent_in_band, rule.inclusion, rule.divide_threshold)


@pytest.fixture
def bilingual(coordinator_a):
    study = make_bilingual_study(coordinator=coordinator_a, min_group_size=4, anonymity=Study.Anonymity.STRICT)
    study.benefit_threshold = Decimal("6.5")
    study.save(update_fields=["benefit_threshold"])
    return study


def test_a_duplicate_copies_settings_texts_items_translations_and_rule(bilingual, coordinator_a):
    experts = make_experts(bilingual, 6)
    round_ = open_round(bilingual)
    rate_everything(round_)
    token_issue(expert=experts[0])

    copy = study_duplicate(study=bilingual, user=coordinator_a, title="Second wave")

    assert copy.pk != bilingual.pk
    assert copy.title == "Second wave"
    assert list(copy.coordinators.all()) == [coordinator_a]
    for name in ("question", "introduction", "consent_text", "min_group_size", "anonymity", "languages", "blocs"):
        assert getattr(copy, name) == getattr(bilingual, name), name
    assert copy.benefit_threshold == Decimal("6.5")
    assert copy.translations["zh-hans"]["question"] == bilingual.translations["zh-hans"]["question"]
    assert _items(copy) == _items(bilingual)
    assert _rule(copy) == _rule(bilingual)
    rule = copy.current_rule()
    assert rule is not None
    assert rule.frozen_at is None  # a new study's rule is a draft until its round 1 opens
    # Never answers, rounds, links or results; no panel unless asked for.
    assert not Round.objects.filter(study=copy).exists()
    assert not Rating.objects.filter(round__study=copy).exists()
    assert not copy.experts.exists()
    assert not InvitationToken.objects.filter(expert__study=copy).exists()
    assert AuditEvent.objects.filter(study=copy, action="study.duplicated", target=str(copy.uuid)).exists()
    assert AuditEvent.objects.filter(study=bilingual, action="study.copied_from").exists()


def test_a_duplicate_with_the_panel_copies_experts_as_new_unconsented_members(study_a, coordinator_a):
    first = study_a.experts.order_by("number").first()
    first.consented_at = first.created_at
    first.save(update_fields=["consented_at"])
    token_issue(expert=first)

    copy = study_duplicate(study=study_a, user=coordinator_a, title="Copy", with_panel=True)

    copied = list(copy.experts.order_by("number"))
    assert [(e.email, e.bloc) for e in copied] == list(study_a.experts.order_by("number").values_list("email", "bloc"))
    assert all(e.consented_at is None for e in copied)
    assert not InvitationToken.objects.filter(expert__study=copy).exists()


def test_a_duplicate_needs_a_title_and_writes_nothing_without_one(study_a, coordinator_a):
    count = Study.objects.count()
    with pytest.raises(InvalidInput) as caught:
        study_duplicate(study=study_a, user=coordinator_a, title="  ")
    assert "title" in caught.value.field_errors
    assert Study.objects.count() == count


def test_a_template_saves_the_definition_and_starts_new_studies(bilingual, coordinator_a, coordinator_b):
    template = template_save(study=bilingual, user=coordinator_a, title="Cooperation, two languages")
    assert template.owner == coordinator_a
    assert AuditEvent.objects.filter(action="template.saved", target=str(template.uuid)).exists()
    # A later change to the source study does not change the template.
    bilingual.areas.update(title="Changed")

    new = study_create_from_template(template=template, user=coordinator_a, title="Third wave")
    assert new.title == "Third wave"
    assert [a for a, *_ in _items(new)[0]] == [a for a, *_ in _items(bilingual)[0]]
    assert "Changed" not in new.areas.values_list("title", flat=True)
    assert new.translations == bilingual.translations
    assert AuditEvent.objects.filter(study=new, action="study.created_from_template").exists()

    with pytest.raises(InvalidInput):  # someone else's template is not theirs to use or delete
        study_create_from_template(template=template, user=coordinator_b, title="Theft")
    with pytest.raises(InvalidInput):
        template_delete(template=template, user=coordinator_b)
    template_delete(template=template, user=coordinator_a)
    assert not SavedTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="template.deleted", target=str(template.uuid)).exists()


def test_a_definition_round_trips_through_a_file(bilingual, coordinator_a):
    data = definition_json(study_definition(bilingual))
    imported = study_import(user=coordinator_a, data=data)
    assert imported.title == bilingual.title
    assert _items(imported) == _items(bilingual)
    assert _rule(imported) == _rule(bilingual)
    assert imported.anonymity == Study.Anonymity.STRICT
    assert imported.translations == bilingual.translations
    assert AuditEvent.objects.filter(study=imported, action="study.imported").exists()


BAD_JSON = b'{\n  "study": {\n    "title": "Broken",\n  }\n}\n'


def test_a_json_syntax_error_names_its_line_and_column(coordinator_a):
    definition, problems = parse_definition(BAD_JSON)
    assert definition is None
    [(line, _field, message)] = problems
    assert line == 4
    assert "line 4, column 3" in message
    with pytest.raises(ImportFailed):
        study_import(user=coordinator_a, data=BAD_JSON)
    assert not Study.objects.exists()


def test_schema_errors_name_every_field_path_and_nothing_is_written(coordinator_a):
    document = {
        "format_version": 1,
        "study": {"title": "", "mode": "weekly", "min_group_size": 2, "colour": "red"},
        "areas": [{"code": "a1", "title": "One"}, {"code": "A1", "title": "Two"}, {"title": 5}],
        "criteria": [{"code": "B1", "kind": "gain", "title": "Gain", "scale_min": 9, "scale_max": 1}],
        "consensus_rules": [{"max_iqr": "wide"}],
    }
    data = json.dumps(document, indent=2).encode()
    with pytest.raises(ImportFailed) as caught:
        study_import(user=coordinator_a, data=data)
    paths = {path for _line, path, _message in caught.value.problems}
    lines = {path: line for line, path, _message in caught.value.problems}
    text = data.decode().splitlines()
    for path in ("study.title", "study.colour", "areas[1].code", "criteria[0].scale_max", "consensus_rules[0].max_iqr"):
        assert text[lines[path] - 1].strip().startswith(f'"{path.rsplit(".", 1)[-1]}":'), path  # the field's line
    assert text[lines["areas[2].code"] - 1].strip() == "{"  # a missing field: where its object starts
    assert {
        "study.title",
        "study.mode",
        "study.min_group_size",
        "study.colour",
        "areas[1].code",
        "areas[2].code",
        "areas[2].title",
        "criteria[0].kind",
        "criteria[0].scale_max",
        "consensus_rules[0].max_iqr",
    } <= paths
    assert not Study.objects.exists()
    assert not AuditEvent.objects.exists()


def test_problems_found_by_the_services_are_reported_by_path_and_roll_back(coordinator_a):
    document = {
        "study": {"title": "Rule too wide", "languages": ["en"], "default_language": "zh-hans"},
        "areas": [{"code": "bad code!", "title": "Spaces"}],
        "criteria": [{"code": "B1", "kind": "benefit", "title": "Benefit"}],
    }
    data = json.dumps(document, indent=2).encode()
    with pytest.raises(ImportFailed) as caught:
        study_import(user=coordinator_a, data=data)
    lines = {path: line for line, path, _message in caught.value.problems}
    assert {"study.default_language", "areas[0].code"} <= set(lines)
    text = data.decode().splitlines()
    assert text[lines["study.default_language"] - 1].strip().startswith('"default_language":')
    assert text[lines["areas[0].code"] - 1].strip().startswith('"code": "bad code!"')
    assert not Study.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_invalid_rule_is_reported_and_nothing_is_kept(coordinator_a):
    document = {
        "study": {"title": "Bad rule"},
        "criteria": [{"code": "B1", "kind": "benefit", "title": "Benefit"}],
        "consensus_rules": [{"band": "high"}],  # a band without its percentage
    }
    data = json.dumps(document, indent=2).encode()
    with pytest.raises(ImportFailed) as caught:
        study_import(user=coordinator_a, data=data)
    lines = {path: line for line, path, _message in caught.value.problems}
    assert "consensus_rules[-1].min_percent_in_band" in lines
    # Missing from the file: reported where the last rule's object starts.
    assert data.decode().splitlines()[lines["consensus_rules[-1].min_percent_in_band"] - 1].strip() == "{"
    assert not Study.objects.exists()


def test_a_file_that_is_not_utf8_or_too_large_is_refused(coordinator_a):
    _definition, problems = parse_definition(b'{"study": {"title": "\xff"}}')
    assert problems
    assert "UTF-8" in problems[0][2]
    _definition, problems = parse_definition(b" " * 2_000_001)
    assert problems
    user = make_user()
    with pytest.raises(ImportFailed):
        study_import(user=user, data=b"[]")


def test_locate_finds_a_fields_line_its_objects_or_none():
    from elicitation.setup.definition import locate

    text = '{\n  "study": {\n    "mode":\n      "weekly"\n  },\n  "areas": [\n    {"title": 5}\n  ]\n}'
    problems = [(0, "study.mode", "m"), (0, "study.title", "t"), (0, "areas[0].code", "c"), (0, "criteria", "x")]
    assert locate(text, problems) == [(3, "study.mode", "m"), (2, "study.title", "t"), (7, "areas[0].code", "c"),
                                      (0, "criteria", "x")]  # fmt: skip
    assert locate("not json", [(0, "study", "s")]) == [(0, "study", "s")]
    assert locate(text, [(9, "", "kept")]) == [(9, "", "kept")]
