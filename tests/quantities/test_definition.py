"""Quantity questions travel with a study's definition: copies, templates, study.json; never a true value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.errors import ImportFailed
from elicitation.models import SavedTemplate, Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.definition import definition_json, parse_definition, study_definition
from elicitation.setup.services.reuse import (
    study_create_from_template,
    study_duplicate,
    study_import,
    template_save,
)
from exports.bundle import study_configuration
from exports.tables import scope_for
from quantities import services
from quantities.models import QuantityFormat, QuantityQuestion
from tests.factories import make_bilingual_study, open_round

pytestmark = pytest.mark.django_db

# A true value no other number in a definition comes near: if it is anywhere in a file, it leaked.
TRUE_VALUE = 417.25
QUESTION_COLUMNS = ("area__code", "code", "kind", "title", "description", "unit", "lower_bound", "upper_bound",
                    "scale", "is_seed", "order", "is_active", "translations")  # fmt: skip


def _questions(study: Study) -> list[tuple[Any, ...]]:
    return list(QuantityQuestion.objects.filter(study=study).values_list(*QUESTION_COLUMNS))


@pytest.fixture
def with_quantities(coordinator_a) -> Study:
    """A bilingual study with a seed (its true value entered), a target on a log scale and a probability."""
    study = make_bilingual_study(coordinator=coordinator_a)
    first, second = study.areas.order_by("order")[:2]
    services.quantity_format_set(
        study=study, user=coordinator_a, format=QuantityFormat.Format.QUANTILES, quantiles=[0.1, 0.5, 0.9],
        overshoot=0.2,
    )  # fmt: skip
    seed = services.question_create(
        study=study, user=coordinator_a, area=second, code="seed-papers", kind="quantity", title="Papers in 2025",
        description="Peer-reviewed papers on verification published in 2025.", unit="papers", lower_bound=0,
        upper_bound=None, scale="uniform", is_seed=True, order=2, is_active=True,
        translations={"zh-hans": {"title": "2025 年的论文", "description": "2025 年发表的核查论文。", "unit": "篇"}},
    )  # fmt: skip
    services.realization_set(question=seed, user=coordinator_a, value=TRUE_VALUE)
    services.question_create(
        study=study, user=coordinator_a, area=first, code="inspectors", kind="quantity", title="Inspectors needed",
        description="", unit="people", lower_bound=1, upper_bound=100000, scale="log", is_seed=False, order=1,
        is_active=True, translations={"zh-hans": {"title": "所需核查员", "unit": "人"}},
    )  # fmt: skip
    services.question_create(
        study=study, user=coordinator_a, area=first, code="p-capability", kind="probability",
        title="Chance of a dangerous capability", description="", unit="", lower_bound=None, upper_bound=None,
        scale="uniform", is_seed=False, order=3, is_active=False, translations={},
    )  # fmt: skip
    return study


def _assert_no_true_value(document: dict[str, Any]) -> None:
    text = definition_json(document).decode()
    assert str(TRUE_VALUE) not in text
    assert "realization" not in text
    assert all("realization" not in question for question in document["quantity_questions"])


def test_a_definition_with_quantity_questions_round_trips_identically(with_quantities, coordinator_a):
    exported = study_definition(with_quantities)
    assert [q["code"] for q in exported["quantity_questions"]] == ["inspectors", "p-capability", "seed-papers"]
    assert exported["quantity_format"] == {"format": "quantiles", "quantiles": [0.1, 0.5, 0.9], "overshoot": 0.2}

    imported = study_import(user=coordinator_a, data=definition_json(exported))

    # Export, import, export: the same file (a definition holds no ids).
    assert study_definition(imported) == exported
    assert _questions(imported) == _questions(with_quantities)
    assert not QuantityQuestion.objects.filter(study=imported, realization__isnull=False).exists()


def test_a_seed_true_value_is_never_in_a_definition_a_template_or_a_copy(with_quantities, coordinator_a):
    _assert_no_true_value(study_definition(with_quantities))
    template = template_save(study=with_quantities, user=coordinator_a, title="With seeds")
    stored = SavedTemplate.objects.get(pk=template.pk).definition
    _assert_no_true_value(stored)

    copy = study_duplicate(study=with_quantities, user=coordinator_a, title="Second wave")
    from_template = study_create_from_template(template=template, user=coordinator_a, title="Third wave")

    for study in (copy, from_template):
        seed = QuantityQuestion.objects.get(study=study, code="seed-papers")
        assert seed.is_seed
        assert (seed.realization, seed.realization_entered_at, seed.realization_entered_by) == (None, None, None)


def test_a_duplicate_copies_the_quantity_format_and_questions(with_quantities, coordinator_a):
    copy = study_duplicate(study=with_quantities, user=coordinator_a, title="Second wave")

    assert _questions(copy) == _questions(with_quantities)
    form = QuantityFormat.objects.get(study=copy)
    assert (form.format, form.quantiles, form.overshoot) == ("quantiles", [0.1, 0.5, 0.9], 0.2)
    # The copy's questions hang on the copy's areas, not the source's.
    assert set(QuantityQuestion.objects.filter(study=copy).values_list("area__study", flat=True)) == {copy.pk}


def test_a_template_keeps_the_questions_as_saved(with_quantities, coordinator_a):
    before = _questions(with_quantities)
    template = template_save(study=with_quantities, user=coordinator_a, title="With seeds")
    QuantityQuestion.objects.filter(study=with_quantities).update(title="Changed later")

    new = study_create_from_template(template=template, user=coordinator_a, title="Third wave")

    assert _questions(new) == before


def test_a_file_without_quantity_keys_still_imports(with_quantities, coordinator_a):
    old = study_definition(with_quantities)
    del old["quantity_format"], old["quantity_questions"]

    imported = study_import(user=coordinator_a, data=definition_json(old))

    assert not QuantityQuestion.objects.filter(study=imported).exists()
    assert not QuantityFormat.objects.filter(study=imported).exists()  # the IDEA default, as for any new study
    codes = [a.code for a in with_quantities.areas.order_by("order")]
    assert [a.code for a in imported.areas.order_by("order")] == codes


def test_the_bundle_study_json_carries_the_questions_without_true_values(with_quantities, coordinator_a):
    round_ = open_round(with_quantities)
    round_close(round=round_, user=coordinator_a)
    configuration = study_configuration(scope_for(with_quantities))
    data = json.dumps(configuration, indent=2, ensure_ascii=False, default=str).encode()
    assert str(TRUE_VALUE).encode() not in data

    imported = study_import(user=coordinator_a, data=data, title="From the bundle")

    assert _questions(imported) == _questions(with_quantities)


def _file(**quantities: Any) -> bytes:
    document = {
        "format_version": 1,
        "study": {"title": "Quantities"},
        "areas": [{"code": "verification", "title": "Verification"}, {"code": "incidents", "title": "Incidents"}],
        **quantities,
    }
    return json.dumps(document, indent=2).encode()


def test_bad_quantity_fields_are_each_named_by_path_and_nothing_is_written(coordinator_a):
    count = Study.objects.count()
    data = _file(
        quantity_format={"format": "guess", "quantiles": [0.05, "half"], "overshoot": "lots", "colour": "red"},
        quantity_questions=[
            {"code": "q1", "area": "verification", "title": "One", "realization": 12.5, "seed": True},
            {"code": "Q1", "area": "nowhere", "title": "Two", "kind": "count", "lower_bound": "abc"},
            {"code": "q3", "area": "incidents", "titel": "Three", "scale": "cubic", "seed": "yes", "order": -1},
            {"code": "q4", "area": "incidents", "title": "Four", "translations": {"fr": {"title": "Quatre"}}},
            {"code": "q5", "area": "incidents", "title": "Five", "translations": {"zh-hans": {"name": "五"}}},
            "not an object",
        ],
    )

    definition, problems = parse_definition(data)

    assert definition is None
    found = {path: message for _line, path, message in problems}
    assert set(found) == {
        "quantity_format.format",
        "quantity_format.quantiles[1]",
        "quantity_format.overshoot",
        "quantity_format.colour",
        "quantity_questions[0].realization",
        "quantity_questions[1].code",
        "quantity_questions[1].area",
        "quantity_questions[1].kind",
        "quantity_questions[1].lower_bound",
        "quantity_questions[2].title",
        "quantity_questions[2].titel",
        "quantity_questions[2].scale",
        "quantity_questions[2].seed",
        "quantity_questions[2].order",
        "quantity_questions[3].translations.fr",
        "quantity_questions[4].translations.zh-hans.name",
        "quantity_questions[5]",
    }
    assert "true value is never imported" in found["quantity_questions[0].realization"]
    assert "also used by quantity_questions[0]" in found["quantity_questions[1].code"]
    assert found["quantity_questions[1].area"] == "No area of this file has this code."
    assert found["quantity_questions[2].titel"] == "Unknown field."
    with pytest.raises(ImportFailed):
        study_import(user=coordinator_a, data=data)
    assert Study.objects.count() == count


def test_problems_the_quantity_services_find_are_named_by_path_and_roll_back(coordinator_a):
    count = Study.objects.count()
    data = _file(
        quantity_format={"format": "quantiles", "quantiles": [0.5, 0.1]},
        quantity_questions=[
            {"code": "ok", "area": "verification", "title": "Fine", "lower_bound": 0},
            {"code": "log-no-bound", "area": "incidents", "title": "Log", "scale": "log"},
            {"code": "bad code", "area": "incidents", "title": "Spaces"},
            {"code": "upside-down", "area": "incidents", "title": "Bounds", "lower_bound": 5, "upper_bound": 1},
        ],
    )
    assert parse_definition(data)[1] == []  # well formed: the services refuse it

    with pytest.raises(ImportFailed) as caught:
        study_import(user=coordinator_a, data=data)

    found = {path: message for _line, path, message in caught.value.problems}
    assert set(found) == {
        "quantity_format.quantiles",
        "quantity_questions[1].lower_bound",
        "quantity_questions[2].code",
        "quantity_questions[3].upper_bound",
    }
    assert Study.objects.count() == count
    assert not QuantityQuestion.objects.filter(code="ok").exists()
