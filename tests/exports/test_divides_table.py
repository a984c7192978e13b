"""The divides and verdicts exports: the stored rows of the latest run, the largest divide first, units said."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from aggregation.services import round_aggregate
from elicitation.models import Rating, Round, Study
from exports.tables import build_table, scope_for
from tests.exports.test_formats import download
from tests.factories import make_experts, make_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def split_study(study_a: Study) -> tuple[Study, Round]:
    study_a.min_group_size = 3
    study_a.save(update_fields=["min_group_size"])
    make_experts(study_a, 12, blocs=["United States", "China"])
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(round_, [5])
    items = list(round_.items.select_related("area", "criterion")[:2])
    for item, (us, china) in zip(items, [(4, 7), (3, 8)], strict=True):
        for rating in Rating.objects.filter(round=round_, area=item.area, criterion=item.criterion).select_related(
            "expert"
        ):
            rating.value = us if rating.expert.bloc == "United States" else china
            rating.save(update_fields=["value"])
    round_aggregate(round_id=round_.pk)
    return study_a, round_


def test_divides_come_largest_first_with_their_tests(
    coordinator_client: Client, split_study: tuple[Study, Round]
) -> None:
    study, round_ = split_study
    rows = list(
        csv.DictReader(io.StringIO(download(coordinator_client, study, table="divides", format="csv").decode()))
    )
    assert len(rows) == round_.items.count()
    first, second = rows[0], rows[1]
    assert (first["rank"], first["verdict"], first["max_median_difference"]) == ("1", "split", "5.0")
    assert (second["rank"], second["verdict"], second["max_median_difference"]) == ("2", "split", "3.0")
    assert (
        first["bloc_medians"] == "China: 8; United States: 3" or first["bloc_medians"] == "United States: 3; China: 8"
    )
    assert float(first["kruskal_p"]) < 0.05
    pairs = json.loads(first["pairwise"])
    assert pairs[0]["p_holm"] == pytest.approx(pairs[0]["p"])  # one pair: Holm changes nothing
    assert {row["verdict"] for row in rows[2:]} <= {"not_split", "shared"}


def test_verdicts_hold_the_panel_and_each_bloc(split_study: tuple[Study, Round]) -> None:
    study, _round = split_study
    table = build_table("verdicts", scope_for(study))
    rows = list(table.rows())
    groups = {row[3] for row in rows}
    assert groups >= {"", "United States", "China"}
    assert table.count() == len(rows)


def test_every_divide_and_verdict_column_says_its_unit_where_it_has_one(split_study: tuple[Study, Round]) -> None:
    study, _round = split_study
    for name in ("divides", "verdicts"):
        for column in build_table(name, scope_for(study)).columns:
            if column.name.endswith(("_p", "_holm", "median", "difference")) or column.name == "kruskal_p":
                assert "unit:" in column.description, column.name
