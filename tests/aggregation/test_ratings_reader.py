"""The packed read of ratings (one bigint a rating) and the order-free inputs digest (issue 18)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from aggregation import ratings_reader
from aggregation.ratings_reader import CANNOT_JUDGE, Packing
from aggregation.runs import consistent_read, inputs_digest
from elicitation.models import ConsensusRule
from tests.aggregation.generated_studies import make_generated_study


def test_a_packing_unpacks_what_it_packs() -> None:
    packing = Packing.of([40, 43, 41], [7, 9], [1000, 1500, 1200])
    assert packing is not None
    area, criterion, expert = np.array([43, 40, 41]), np.array([9, 7, 9]), np.array([1500, 1000, 1200])
    value = np.array([100, CANNOT_JUDGE, 0])
    packed = (
        (
            ((area - packing.area_low) * packing.criteria + (criterion - packing.criterion_low)) * packing.experts
            + (expert - packing.expert_low)
        )
        * 128
        + value
        + 1
    )  # the expression of Packing.sql, in numpy
    found = packing.unpack(packed)
    assert found["area"].tolist() == area.tolist()
    assert found["criterion"].tolist() == criterion.tolist()
    assert found["expert"].tolist() == expert.tolist()
    assert found["value"].tolist() == value.tolist()


def test_a_study_whose_packed_ratings_fit_an_integer_reads_four_bytes_a_rating() -> None:
    fits = Packing.of(list(range(100)), list(range(6)), list(range(1000)))  # 77 million < 2^31
    assert fits is not None
    assert (fits.bytes, fits.dtype) == (4, ">i4")
    assert "int4send" in fits.sql()[0]
    large = Packing.of(list(range(100)), list(range(6)), list(range(30_000)))
    assert large is not None
    assert (large.bytes, large.dtype) == (8, ">i8")
    assert "int8send" in large.sql()[0]


def test_ids_spread_too_far_apart_do_not_pack() -> None:
    assert Packing.of([1, 2**40], [1, 2**10], [1, 2**10]) is None
    assert Packing.of([], [], []) is not None  # an empty study packs (nothing to read)


@pytest.mark.django_db
@pytest.mark.parametrize("packed_bytes", [4, 8])
def test_the_packed_read_gives_the_rows_and_snapshot_of_the_orm_read(packed_bytes: int) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the packed read is PostgreSQL's")
    study, rounds = make_generated_study(21, ConsensusRule.Inclusion.SUBMITTED)
    ids = [round_.pk for round_ in rounds]
    with consistent_read(), mock.patch.object(Packing, "bytes", new=packed_bytes):  # the small study fits 4
        packed = ratings_reader.read_rounds(ids, study_id=study.pk)
    original = Packing.of
    try:
        Packing.of = classmethod(lambda cls, *spans: None)  # type: ignore[assignment,method-assign]
        with consistent_read():
            simple = ratings_reader.read_rounds(ids, study_id=study.pk)
    finally:
        Packing.of = original  # type: ignore[method-assign]
    for round_id in ids:
        assert packed[round_id].snapshot.matches(simple[round_id].snapshot)
        order = ["area", "criterion", "expert"]
        one = packed[round_id].ratings.sort_values(order).reset_index(drop=True)
        other = simple[round_id].ratings.sort_values(order).reset_index(drop=True)
        assert len(one) > 0
        pd.testing.assert_frame_equal(one, other)


def _frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": [1, 1, 2],
            "criterion": [5, 6, 5],
            "expert": [10, 10, 11],
            "bloc": pd.Categorical(["China", "China", "Europe"]),
            "value": values,
            "scale_min": 1,
            "scale_max": 9,
        }
    )


def test_the_inputs_digest_ignores_row_order_and_sees_every_change() -> None:
    frame = _frame([3.0, float("nan"), 9.0])
    digest = inputs_digest(frame, None, {"k": 5})
    assert inputs_digest(frame.iloc[::-1], None, {"k": 5}) == digest
    assert inputs_digest(frame.assign(bloc=frame["bloc"].astype(object)), None, {"k": 5}) == digest
    assert inputs_digest(_frame([3.0, 4.0, 9.0]), None, {"k": 5}) != digest  # cannot judge -> 4
    assert inputs_digest(_frame([9.0, float("nan"), 3.0]), None, {"k": 5}) != digest  # two values swapped
    assert inputs_digest(frame.assign(bloc=["China", "China", "China"]), None, {"k": 5}) != digest
    assert inputs_digest(frame.assign(scale_max=10), None, {"k": 5}) != digest
    assert inputs_digest(frame, frame, {"k": 5}) != digest  # a previous round
    assert inputs_digest(frame, None, {"k": 4}) != digest
    assert inputs_digest(frame.iloc[:2], None, {"k": 5}) != digest
