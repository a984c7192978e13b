"""The aggregates table: every column of the round summary, equal to what the aggregation job stores."""

from __future__ import annotations

import csv
import io
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import aggregation
from aggregation.models import ItemResult
from aggregation.services import round_aggregate
from analysis.summary import SUMMARY_COLUMNS
from elicitation.models import Study
from exports.statistics import COUNTS, STATISTICS
from exports.tables import build_table, scope_for
from tests.api.helpers import token_client
from tests.factories import make_experts, make_round, make_study, rate_everything

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


def test_a_round_without_a_done_run_has_no_rows_and_min_and_max_come_from_the_ratings(rated_study: Study) -> None:
    first = rated_study.rounds.get(number=1)
    round_aggregate(round_id=first.pk)
    rows = list(build_table("aggregates", scope_for(rated_study)).rows())
    names = build_table("aggregates", scope_for(rated_study)).column_names
    assert {row[names.index("round")] for row in rows} == {1}  # round 2 was never aggregated
    values = [
        r.value for r in first.ratings.filter(area__code="verification", criterion__code="B1") if r.value is not None
    ]
    row = dict(zip(names, rows[0], strict=True))
    assert (row["area"], row["criterion"]) == ("verification", "B1")
    assert (row["min"], row["max"]) == (min(values), max(values))


def _aggregates_download(client: Client, study: Study) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/studies/{study.uuid}/tables/aggregates/?file_format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(text)))


@contextmanager
def aggregation_calls() -> Iterator[list[str]]:
    """The functions of the aggregation's analysis code (summary, rules, metrics) called inside the block."""
    package = Path(aggregation.__file__).resolve().parent
    roots = (
        str(package / "summary.py"),
        str(package / "rules.py"),
        str(package / "metrics"),
        str(package / "services.py"),
    )
    calls: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(roots):
            calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_the_download_reads_stored_rows_and_runs_no_aggregation_code(coordinator_a: User) -> None:
    """Recomputing at download time took 22.6-30.7 s for 30 experts and two rounds through the API (a 500
    past gunicorn's timeout). No aggregation code may run inside the download request now, and it runs
    the same number of queries for a small and a five times larger study."""
    client = token_client(coordinator_a)
    studies = {}
    for experts in (6, 30):
        study = make_study(coordinator=coordinator_a, title=f"{experts} experts")
        make_experts(study, experts)
        for number in (1, 2):
            round_ = make_round(study, status="closed" if number == 1 else "open")
            rate_everything(round_)
            round_aggregate(round_id=round_.pk)
        studies[experts] = study
    _aggregates_download(client, studies[6])  # the first request of a test fills per-process caches
    counts = []
    for experts, study in studies.items():
        with CaptureQueriesContext(connection) as queries, aggregation_calls() as calls:
            rows = _aggregates_download(client, study)
        assert calls == []
        counts.append(len(queries))
        assert len(rows) == 48
        assert {row["round"] for row in rows} == {"1", "2"}
        assert all(row["n"] == str(experts) for row in rows)
    assert counts[0] == counts[1], counts
