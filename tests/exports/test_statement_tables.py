"""The dissent and change-reason tables (issue 19, item 6): pseudonymous, strict mode, formulas, the bundle."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from elicitation.models import ItemStatement, Rating, Round, StatementKind, Study
from exports.bundle import BUNDLE_TABLES
from exports.services import export_job_create
from exports.tables import TABLE_NAMES, build_table, scope_for
from quantities.models import QuantityQuestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def stated(rated_study: Study) -> Study:
    """Round 1 closed, round 2 open: dissent on a rating item and a question, a reason, one withdrawn dissent."""
    first, second = rated_study.rounds.order_by("number")
    experts = list(rated_study.experts.order_by("number"))
    item = first.items.order_by("id")[0]
    question = QuantityQuestion.objects.create(
        study=rated_study, area=rated_study.areas.earliest("order"), code="q1", title="Inspectors", lower_bound=0
    )
    on_item = {"area_id": item.area_id, "criterion_id": item.criterion_id}
    ItemStatement.objects.create(round=first, expert=experts[0], kind="dissent", text="=1+1 too rosy", **on_item)
    ItemStatement.objects.create(round=first, expert=experts[1], kind="dissent", text="", **on_item)  # withdrawn
    ItemStatement.objects.create(round=first, expert=experts[2], kind="dissent", question=question, text="Too narrow")
    Rating.objects.filter(round=second, expert=experts[3], **on_item).update(value=2, cannot_judge=False)
    Rating.objects.filter(round=first, expert=experts[3], **on_item).update(value=9, cannot_judge=False)
    ItemStatement.objects.create(
        round=second, expert=experts[3], kind=StatementKind.CHANGE_REASON, text="New evidence", **on_item
    )
    return rated_study


def rows(name: str, study: Study) -> list[dict[str, object]]:
    table = build_table(name, scope_for(study))
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows()]


def test_the_dissent_table_lists_each_standing_statement_under_a_pseudonym(stated: Study) -> None:
    found = rows("dissent", stated)
    item = stated.rounds.get(number=1).items.order_by("id")[0]
    assert found == [
        {
            "study": str(stated.uuid),
            "round": 1,
            "item_type": "rating",
            "area": item.area.code,
            "criterion": item.criterion.code,
            "question": "",
            "pseudonym": "E-01",
            "bloc": stated.experts.get(number=1).bloc,
            "statement": "'=1+1 too rosy",
            "language": found[0]["language"],
            "day": found[0]["day"],
        },
        {
            "study": str(stated.uuid),
            "round": 1,
            "item_type": "quantity",
            "area": stated.areas.earliest("order").code,
            "criterion": "",
            "question": "q1",
            "pseudonym": "E-03",
            "bloc": "'=cmd|' /C calc'!A0",
            "statement": "Too narrow",
            "language": found[1]["language"],
            "day": found[1]["day"],
        },
    ]


def test_the_reasons_table_gives_both_ratings_beside_the_reason(stated: Study) -> None:
    [row] = rows("change_reasons", stated)
    assert (row["round"], row["pseudonym"], row["previous_value"], row["value"], row["reason"]) == (
        2,
        "E-04",
        9,
        2,
        "New evidence",
    )


def test_strict_anonymity_leaves_out_who_and_the_ratings(stated: Study) -> None:
    stated.anonymity = Study.Anonymity.STRICT
    stated.save()
    dissent = build_table("dissent", scope_for(stated))
    assert {"pseudonym", "bloc", "day"}.isdisjoint(dissent.column_names)
    assert len(list(dissent.rows())) == 2
    reasons = build_table("change_reasons", scope_for(stated))
    assert {"pseudonym", "bloc", "day", "previous_value", "value"}.isdisjoint(reasons.column_names)
    # Round 2 is open: in strict mode its statements wait for the close, as its ratings do.
    assert list(reasons.rows()) == []
    Round.objects.filter(study=stated, number=2).update(status=Round.Status.CLOSED)
    assert [row[-2] for row in build_table("change_reasons", scope_for(stated)).rows()] == ["New evidence"]


def test_both_tables_are_in_every_export_and_the_bundle(
    stated: Study, coordinator_a, django_capture_on_commit_callbacks
) -> None:
    assert {"dissent", "change_reasons"} <= set(TABLE_NAMES) & set(BUNDLE_TABLES)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(user=coordinator_a, study=stated, fmt="bundle", table="all")
    job.refresh_from_db()
    with zipfile.ZipFile(Path(settings.EXPORTS_ROOT) / job.file_name) as archive:
        names = archive.namelist()
        dissent = next(name for name in names if name.endswith("dissent.csv"))
        assert "Too narrow" in archive.read(dissent).decode()
        assert any(name.endswith("change_reasons.csv") for name in names)
        assert stated.experts.get(number=1).email not in archive.read(dissent).decode()
