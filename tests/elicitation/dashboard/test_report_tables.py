"""The report's panel tables go through disclosure control: no count below k, none derivable from the others."""

from __future__ import annotations

import pytest

from elicitation.dashboard.report import composition, ordered
from tests.factories import make_experts, make_study

pytestmark = pytest.mark.django_db


def _study(blocs: dict[str, int], sector: str = "academia"):
    study = make_study(blocs=list(blocs), sectors=[sector], min_group_size=5)
    for bloc, n in blocs.items():
        if n:
            make_experts(study, n, blocs=[bloc])
    return study


def test_counts_below_k_are_hidden_but_zero_and_large_counts_are_shown():
    table = composition(_study({"US": 7, "China": 6, "Europe": 0, "Other": 2, "Africa": 3}))
    assert table["composition_blocs"] == [("US", 7), ("China", 6), ("Europe", 0), ("Other", None), ("Africa", None)]
    assert table["panel_size"] == 18


def test_a_single_hidden_count_takes_the_next_smallest_with_it():
    table = composition(_study({"US": 7, "China": 6, "Other": 2}))
    assert table["composition_blocs"] == [("US", 7), ("China", None), ("Other", None)]


def test_hidden_counts_that_add_up_to_fewer_than_k_take_the_next_smallest_with_them():
    # Two lone experts: the total minus the shown counts would say "2 between them", so 1 each.
    table = composition(_study({"US": 7, "China": 6, "Other": 1, "Africa": 1}))
    assert table["composition_blocs"] == [("US", 7), ("China", None), ("Other", None), ("Africa", None)]


def test_a_panel_below_k_shows_no_count_at_all():
    table = composition(_study({"US": 3, "China": 1}))
    assert table["panel_size"] is None
    assert table["composition_blocs"] == [("US", None), ("China", None)]
    assert table["composition_sectors"] == [("academia", None)]


def test_nothing_is_hidden_when_every_group_is_large_enough():
    table = composition(_study({"US": 5, "China": 9}))
    assert table["composition_blocs"] == [("US", 5), ("China", 9)]
    assert table["composition_sectors"] == [("academia", 14)]


def test_groups_follow_the_study_order_then_the_alphabet():
    assert [name for name, _ in ordered({"b": 1, "z": 2, "a": 3, "c": 4}, ["c", "a"])] == ["c", "a", "b", "z"]
