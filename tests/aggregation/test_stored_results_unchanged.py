"""The faster aggregation job stores exactly what the job stored before it (issue 18).

``tests/data/stored_results_before_byte_read.json`` holds the four result tables of the generated studies
of ``tests.aggregation.generated_studies`` (blocs, one below k, "cannot judge", skipped items, a 0-4 scale,
two rounds with stability, submitted-only and all-saved inclusion) as the job stored them before it read
ratings as byte columns, counted the histogram once and wrote with COPY: that job read tuples through the
ORM and wrote with ``bulk_create``. Every stored number must equal it to 1e-12.

The job also runs a fixed number of SQL statements whatever the size of the round.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation.services import round_aggregate
from elicitation.models import ConsensusRule
from tests.aggregation.generated_studies import make_generated_study, stored_results
from tests.factories import make_experts, make_round, make_study, rate_everything

pytestmark = [pytest.mark.services, pytest.mark.django_db]

BEFORE = json.loads((Path(__file__).parent.parent / "data" / "stored_results_before_byte_read.json").read_text())
CASES = [(11, ConsensusRule.Inclusion.SUBMITTED), (12, ConsensusRule.Inclusion.ALL_SAVED)]


def assert_same(found: Any, expected: Any, where: str = "") -> None:
    """Equal, floats to 1e-12 (relative or absolute)."""
    if isinstance(expected, float) and isinstance(found, float):
        assert math.isclose(found, expected, rel_tol=1e-12, abs_tol=1e-12), where
    elif isinstance(expected, dict):
        assert isinstance(found, dict), where
        assert found.keys() == expected.keys(), where
        for key in expected:
            assert_same(found[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(found, list), where
        assert len(found) == len(expected), where
        for position, (one, other) in enumerate(zip(found, expected, strict=True)):
            assert_same(one, other, f"{where}[{position}]")
    else:
        assert found == expected, f"{where}: {found!r} != {expected!r}"


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the byte-column read and the COPY write are PostgreSQL's")


@pytest.mark.parametrize(("seed", "inclusion"), CASES)
def test_every_stored_result_equals_what_the_job_stored_before(seed: int, inclusion: str) -> None:
    _require_postgresql()
    _, rounds = make_generated_study(seed, inclusion)
    found = [stored_results(round_aggregate(round_id=round_.pk)) for round_ in rounds]
    assert found[1]["items"][0]["stability_pairs"] > 0  # the second round pairs with the first
    assert any(row["suppressed"] for row in found[1]["items"])  # the small bloc is withheld
    assert_same(found, BEFORE[f"{seed}-{inclusion}"], f"{seed}-{inclusion}")


@pytest.mark.parametrize(("seed", "inclusion"), CASES)
def test_the_orm_read_and_bulk_write_store_what_the_byte_read_and_copy_store(seed: int, inclusion: str) -> None:
    """SQLite's path (the demo) and PostgreSQL's give the same rows and the same snapshot."""
    _require_postgresql()
    _, rounds = make_generated_study(seed, inclusion)
    fast = round_aggregate(round_id=rounds[1].pk)
    with (
        mock.patch("aggregation.ratings_reader.uses_byte_columns", return_value=False),
        mock.patch("aggregation.result_rows.uses_byte_columns", return_value=False),
    ):
        simple = round_aggregate(round_id=rounds[1].pk)
    assert_same(stored_results(simple), stored_results(fast))
    fields = ("ratings_count", "ratings_as_of", "snapshot_revision", "inputs_digest", "contributors")
    assert [getattr(simple, name) for name in fields] == [getattr(fast, name) for name in fields]
    assert simple.ratings_count == rounds[1].ratings.count()  # the snapshot counts every rating, counted or not


def _statements(experts: int) -> int:
    study = make_study(title=f"{experts} experts")
    make_experts(study, experts)
    first = make_round(study, status="closed")
    rate_everything(first, [7, 8, None, 6, 9, 5, 2])
    second = make_round(study, status="closed")
    rate_everything(second, [8, 7, 6, None, 9, 3])
    with CaptureQueriesContext(connection) as queries:
        round_aggregate(round_id=second.pk)
    return len(queries)


def test_the_job_runs_the_same_statements_for_a_small_and_a_large_round() -> None:
    _require_postgresql()
    small, large = _statements(8), _statements(60)
    assert small == large
    assert large <= 30


@pytest.mark.parametrize(
    "value",
    [
        [[1, 5], [2, 0], [9, 12]],
        {"United States": 6.5, "China": float("nan"), "中国": [1, 2]},
        {"pairs": [{"a": 'x"y\\z\n', "p": 1e-300, "q": -0.0}], "ok": True, "none": None},
        [],
        {},
        "text",
        7,
        2.5,
        None,
    ],
)
def test_the_copy_writes_json_as_json_dumps_does(value: Any) -> None:
    """``result_rows.dumps`` makes its C encoder once; what it writes is ``json.dumps``' text, byte for byte."""
    from aggregation.result_rows import dumps

    assert dumps(value) == json.dumps(value)
