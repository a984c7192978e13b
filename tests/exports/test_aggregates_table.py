"""The aggregates table: every column of the round summary, equal to what the aggregation job stores."""

from __future__ import annotations

import math
from typing import Any

import pytest

from aggregation.models import ItemResult
from aggregation.services import round_aggregate
from aggregation.summary import SUMMARY_COLUMNS
from elicitation.models import Study
from exports.statistics import COUNTS, STATISTICS
from exports.tables import build_table, scope_for

pytestmark = pytest.mark.django_db


def same(exported: Any, stored: Any) -> bool:
    if isinstance(stored, float) and isinstance(exported, float):
        return math.isclose(exported, stored, rel_tol=1e-9, abs_tol=1e-12)
    return bool(exported == stored)


def test_it_has_every_column_of_the_round_summary_and_the_consensus(rated_study: Study) -> None:
    names = build_table("aggregates", scope_for(rated_study)).column_names
    assert set(SUMMARY_COLUMNS) - {"area", "criterion", "group"} <= set(names)
    assert {"consensus", "min", "max", "quantile_method"} <= set(names)


def test_its_rows_equal_the_panel_rows_of_a_fresh_aggregation_run(rated_study: Study) -> None:
    for round_ in rated_study.rounds.all():
        round_aggregate(round_id=round_.pk)
    table = build_table("aggregates", scope_for(rated_study))
    rows = [dict(zip(table.column_names, row, strict=True)) for row in table.rows()]
    stored = {
        (r.round.number, r.area.code, r.criterion.code): r
        for r in ItemResult.objects.filter(round__study=rated_study, group="").select_related(
            "round", "area", "criterion"
        )
    }
    assert len(rows) == len(stored) == 48
    for row in rows:
        result = stored[(row["round"], row["area"], row["criterion"])]
        for name in [*COUNTS, *STATISTICS]:
            expected = getattr(result, name)
            expected = None if expected == "" else expected  # no RAND/UCLA class is an empty cell
            assert same(row[name], expected), (row["round"], row["area"], row["criterion"], name)
    second_round = [row for row in rows if row["round"] == 2]
    assert any(row["stability_pairs"] > 0 for row in second_round)  # compared with round 1
    assert any(row["consensus"] is not None for row in rows)  # the study has a consensus rule


def test_an_item_nobody_answered_has_n_0_and_empty_statistics(study_a: Study) -> None:
    from tests.factories import make_round

    make_round(study_a, status="open")
    rows = list(build_table("aggregates", scope_for(study_a)).rows())
    assert len(rows) == 24
    names = build_table("aggregates", scope_for(study_a)).column_names
    first = dict(zip(names, rows[0], strict=True))
    assert (first["n"], first["n_cannot_judge"], first["stability_pairs"]) == (0, 0, 0)
    assert first["median"] is None
    assert first["consensus"] is False  # a rule exists; an item without ratings has no consensus
