"""The tables an analyst needs beside the ratings: areas, criteria, the items and wording of each round,
wording changes, suggestions with their provenance, and participation per round and per expert."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from elicitation.models import Participation, Study, Suggestion
from elicitation.rounds.services.planning import area_add, area_reword
from exports.tables import build_table, scope_for
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def records(name: str, study: Study) -> list[dict[str, Any]]:
    table = build_table(name, scope_for(study))
    rows = [dict(zip(table.column_names, row, strict=True)) for row in table.rows()]
    assert table.count() == len(rows)
    return rows


def test_areas_and_criteria_list_the_study_in_its_order(study_a: Study) -> None:
    areas = records("areas", study_a)
    assert [a["area"] for a in areas] == ["verification", "protocols", "infrastructure", "evaluations"]
    assert areas[0]["title"] == "Verification mechanisms"
    criteria = records("criteria", study_a)
    first = criteria[0]
    assert (first["criterion"], first["kind"], first["scale_min"], first["scale_max"]) == ("B1", "benefit", 1, 9)
    assert criteria[3]["kind"] == "risk"
    assert criteria[0]["label_max"] == "Very high"


def test_each_round_lists_its_items_with_the_wording_experts_saw(study_a: Study, coordinator_a: User) -> None:
    make_round(study_a, status="closed")
    area = study_a.areas.get(code="protocols")
    area_reword(area=area, user=coordinator_a, title="Shared protocols and standards", description="Reworded.")
    make_round(study_a, status="open")
    items = records("round_items", study_a)
    assert len(items) == 2 * 24
    asked = {(i["round"], i["area"]): (i["area_title"], i["area_description"], i["reworded"]) for i in items}
    assert asked[(1, "protocols")] == ("Shared protocols", "About Shared protocols.", False)
    assert asked[(2, "protocols")] == ("Shared protocols and standards", "Reworded.", True)
    assert asked[(2, "verification")] == ("Verification mechanisms", "About Verification mechanisms.", False)
    (change,) = records("wording_changes", study_a)
    assert (change["area"], change["first_round"], change["old_title"], change["new_title"]) == (
        "protocols",
        2,
        "Shared protocols",
        "Shared protocols and standards",
    )
    assert change["day"] == timezone.now().date().isoformat()


def test_suggestions_name_the_areas_made_from_them_and_back(study_a: Study, coordinator_a: User) -> None:
    first = make_round(study_a, status="closed")
    experts = list(study_a.experts.order_by("number"))
    joint = Suggestion.objects.create(round=first, expert=experts[0], text="Joint red-teaming")
    Suggestion.objects.create(round=first, expert=experts[1], text="=A trick")
    other = Suggestion.objects.create(round=first, expert=experts[2], text="Compute accounting")
    area_add(study=study_a, user=coordinator_a, title="Red-teaming", suggestion_ids=[joint.pk, other.pk])
    suggestions = records("suggestions", study_a)
    assert [(s["suggestion"], s["text"]) for s in suggestions] == [
        ("S-01", "'=A trick"),
        ("S-02", "Compute accounting"),
        ("S-03", "Joint red-teaming"),
    ]
    new_code = study_a.areas.get(title="Red-teaming").code
    assert [s["areas"] for s in suggestions] == ["", new_code, new_code]
    assert suggestions[2]["pseudonym"] == experts[0].pseudonym
    areas = {a["area"]: a["suggestions"] for a in records("areas", study_a)}
    assert areas[new_code] == "S-02;S-03"
    study_a.anonymity = Study.Anonymity.STRICT
    study_a.save()
    assert "pseudonym" not in build_table("suggestions", scope_for(study_a)).column_names


def test_participation_counts_each_step_with_small_cells_suppressed(study_a: Study) -> None:
    round_ = make_round(study_a, status="open")  # 8 experts invited
    now = timezone.now()
    experts = list(study_a.experts.order_by("number"))
    for expert in experts[:6]:
        Participation.objects.filter(round=round_, expert=expert).update(opened_at=now)
    for expert in experts[:5]:
        Participation.objects.filter(round=round_, expert=expert).update(started_at=now, submitted_at=now)
    counts = records("participation", study_a)
    totals = {c["step"]: c["experts"] for c in counts if c["grouping"] == "total"}
    assert totals == {"invited": 8, "opened": 6, "started": 5, "submitted": 5}
    # k = 5: no bloc of a step shows fewer than five experts.
    assert all(c["experts"] is None or c["experts"] == 0 or c["experts"] >= 5 for c in counts)
    assert any(c["suppressed"] for c in counts if c["grouping"] == "bloc")


def test_per_expert_status_is_pseudonymous_and_bare_in_strict_mode(study_a: Study) -> None:
    round_ = make_round(study_a, status="open")
    first = study_a.experts.get(number=1)
    Participation.objects.filter(round=round_, expert=first).update(opened_at=timezone.now())
    Participation.objects.filter(round=round_, expert__number=2).delete()
    rows = records("participation_experts", study_a)
    status = {r["pseudonym"]: r["status"] for r in rows}
    assert (status["E-01"], status["E-02"], status["E-03"]) == ("opened", "not_invited", "invited")
    assert rows[0]["opened_on"] == timezone.now().date().isoformat()
    study_a.anonymity = Study.Anonymity.STRICT
    study_a.save()
    strict = build_table("participation_experts", scope_for(study_a))
    assert strict.column_names == ["round", "pseudonym", "status"]
