"""Small counts in the report's panel tables are suppressed, and never derivable from the others."""

from __future__ import annotations

from aggregation.dashboard.report import ordered, suppress_small


def test_counts_below_k_are_hidden_but_zero_and_large_counts_are_shown():
    counts = [("US", 7), ("China", 6), ("Europe", 0), ("Other", 2), ("Africa", 3)]
    assert suppress_small(counts, 5) == [("US", 7), ("China", 6), ("Europe", 0), ("Other", None), ("Africa", None)]


def test_a_single_hidden_count_takes_the_next_smallest_with_it():
    counts = [("US", 7), ("China", 6), ("Other", 2)]
    assert suppress_small(counts, 5) == [("US", 7), ("China", None), ("Other", None)]


def test_hidden_counts_that_add_up_to_fewer_than_k_take_the_next_smallest_with_them():
    # Two lone experts: the total minus the shown counts would say "2 between them", so 1 each.
    counts = [("US", 7), ("China", 6), ("Other", 1), ("Africa", 1)]
    assert suppress_small(counts, 5) == [("US", 7), ("China", None), ("Other", None), ("Africa", None)]


def test_nothing_is_hidden_when_every_group_is_large_enough():
    assert suppress_small([("US", 5), ("China", 9)], 5) == [("US", 5), ("China", 9)]


def test_groups_follow_the_study_order_then_the_alphabet():
    assert [name for name, _ in ordered({"b": 1, "z": 2, "a": 3, "c": 4}, ["c", "a"])] == ["c", "a", "b", "z"]
