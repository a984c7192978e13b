"""Panel composition: counts only, small cells withheld, and no withheld count derivable from the totals."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from django.test import Client

from elicitation.models import Expert, Study
from exports.panel import panel_rows
from tests.exports.test_formats import download
from tests.factories import make_experts

Row = tuple[str, str, str, int | None, bool]


def by_key(rows: list[Row]) -> dict[tuple[str, str, str], int | None]:
    return {(g, b, s): n for g, b, s, n, _ in rows}


def derivable(rows: list[Row], k: int) -> bool:
    """Whether some withheld count, or a pooled count below k, follows from one total minus published parts."""
    counts = by_key(rows)
    blocs = sorted({b for g, b, _ in counts if g == "bloc"})
    sectors = sorted({s for g, _, s in counts if g == "sector"})
    relations = [
        (("total", "", ""), [("bloc", b, "") for b in blocs]),
        (("total", "", ""), [("sector", "", s) for s in sectors]),
    ]
    relations += [(("bloc", b, ""), [("bloc_sector", b, s) for s in sectors]) for b in blocs]
    relations += [(("sector", "", s), [("bloc_sector", b, s) for b in blocs]) for s in sectors]
    return any(_exposed(counts, total, parts, k) for total, parts in relations)


def _exposed(counts: dict[Any, int | None], total: Any, parts: list[Any], k: int) -> bool:
    """A relation gives a withheld count away: one unknown alone, or withheld parts whose known sum is below k."""
    if sum(1 for m in [total, *parts] if counts[m] is None) == 1:
        return True
    hidden = [p for p in parts if counts[p] is None]
    if counts[total] is None or not hidden:
        return False
    total_count = counts[total]
    assert total_count is not None
    pooled = total_count - sum(counts[p] or 0 for p in parts)
    return 0 < pooled < k


def test_counts_below_k_are_withheld_with_complementary_suppression() -> None:
    pairs = (
        [("US", "Academia")] * 6 + [("US", "Industry")] * 2 + [("China", "Academia")] * 5 + [("China", "Industry")] * 5
    )
    rows: list[Row] = list(panel_rows(pairs, k=5))
    counts = by_key(rows)
    assert counts[("total", "", "")] == 18
    assert counts[("bloc_sector", "US", "Industry")] is None  # 2 < k
    assert counts[("bloc_sector", "US", "Academia")] is None  # else US total 8 - 6 reveals the 2
    # Each sector column then has one withheld cell, so China's cells go too; the totals stay.
    assert counts[("bloc_sector", "China", "Industry")] is None
    assert counts[("bloc", "US", "")] == 8
    assert counts[("sector", "", "Industry")] == 7
    assert not derivable(rows, 5)
    for grouping, _, _, n, suppressed in rows:
        assert (n is None) == suppressed
        assert n is None or n == 0 or n >= 5, grouping


def test_withheld_cells_that_pool_below_k_take_another_with_them() -> None:
    # Two lone experts in the "Other" row: total minus the shown blocs would give 2, so 1 and 1.
    pairs = [("US", "Academia")] * 7 + [("China", "Academia")] * 6 + [("Other", "Academia"), ("Other2", "Academia")]
    counts = by_key(list(panel_rows(pairs, k=5)))
    assert counts[("bloc", "Other", "")] is None
    assert counts[("bloc", "Other2", "")] is None
    assert counts[("bloc", "China", "")] is None, "the pooled 2 must not be derivable from the total"
    assert counts[("total", "", "")] == 15


@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("seed", range(20))
def test_no_withheld_count_is_derivable_from_one_relation(k: int, seed: int) -> None:
    import random

    rng = random.Random(seed)
    blocs, sectors = ["US", "China", "Europe", "Other"], ["Academia", "Industry", "Government"]
    pairs = [(rng.choice(blocs), rng.choice(sectors)) for _ in range(rng.randint(1, 40))]
    rows: list[Row] = list(panel_rows(pairs, k=k, blocs=blocs, sectors=sectors))
    assert not derivable(rows, k)
    assert all(n is None or n == 0 or n >= k for _, _, _, n, _ in rows)


@pytest.mark.django_db
def test_the_panel_export_counts_active_experts_only(study_a: Study, coordinator_client: Client) -> None:
    make_experts(study_a, 12, blocs=["United States"])
    Expert.objects.filter(study=study_a, number=20).update(is_active=False)
    frame = pd.read_csv(
        io.BytesIO(download(coordinator_client, study_a, table="panel", format="csv")), dtype=str, keep_default_na=False
    )
    assert list(frame.columns) == ["grouping", "bloc", "sector", "experts", "suppressed"]
    total = frame[frame["grouping"] == "total"]
    assert total["experts"].item() == "19"
    us = frame[(frame["grouping"] == "bloc") & (frame["bloc"] == "United States")]
    assert us["experts"].item() == str(study_a.experts.filter(is_active=True, bloc="United States").count())
    assert set(frame["suppressed"]) <= {"True", "False"}
