"""Consensus rules: each part on its own, their AND, undefined statistics, and reading a model's Decimals."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.rules import RuleParts, RuleSet, agreement, consensus, evaluate_parts


def rows(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "n": [10, 10, 10],
        "iqr": [1.0, 1.0000000000000002, 1.5],
        "pct_low": [0.0, 10.0, 20.0],
        "pct_mid": [20.0, 20.0, 30.0],
        "pct_high": [80.0, 70.0, 50.0],
        "cv": [0.1, 0.2, math.nan],
        "cns": [0.8, 0.7, 0.5],
        "ipras_disagreement": [False, True, None],
    }
    return pd.DataFrame(base | columns)


def test_max_iqr_allows_round_off() -> None:
    assert consensus(rows(), RuleParts(max_iqr=1)).tolist() == [True, True, False]


def test_percent_in_band() -> None:
    assert consensus(rows(), RuleParts(band="high", min_percent_in_band=70)).tolist() == [True, True, False]
    assert consensus(rows(), RuleParts(band="middle", min_percent_in_band=25)).tolist() == [False, False, True]


def test_ceiling_on_the_opposite_band() -> None:
    rule = RuleParts(band="high", min_percent_in_band=70, max_percent_opposite_band=5)
    assert consensus(rows(), rule).tolist() == [True, False, False]
    # For the low band the opposite is the high band; for the middle band, each end.
    assert evaluate_parts(rows(), RuleParts(band="low", max_percent_opposite_band=60))[
        "max_percent_opposite_band"
    ].tolist() == [False, False, True]
    assert evaluate_parts(rows(), RuleParts(band="middle", max_percent_opposite_band=75))[
        "max_percent_opposite_band"
    ].tolist() == [False, True, True]


def test_max_cv_fails_where_the_cv_is_undefined() -> None:
    assert consensus(rows(), RuleParts(max_cv=0.15)).tolist() == [True, False, False]


def test_min_cns() -> None:
    assert consensus(rows(), RuleParts(min_cns=0.7)).tolist() == [True, True, False]


def test_rand_agreement_needs_a_test_without_disagreement() -> None:
    # The third row has no RAND/UCLA result (not a 1-9 scale): agreement cannot be shown.
    assert consensus(rows(), RuleParts(require_rand_agreement=True)).tolist() == [True, False, False]


def test_parts_combine_with_and() -> None:
    rule = RuleParts(max_iqr=1, band="high", min_percent_in_band=70, min_cns=0.75)
    parts = evaluate_parts(rows(), rule)
    assert list(parts.columns) == ["max_iqr", "min_percent_in_band", "min_cns"]
    assert consensus(rows(), rule).tolist() == [True, False, False]


def test_no_rule_or_an_empty_rule_gives_no_verdict() -> None:
    assert consensus(rows(), None).tolist() == [None, None, None]
    assert consensus(rows(), RuleParts()).tolist() == [None, None, None]


def test_an_item_without_ratings_never_has_consensus() -> None:
    empty = rows(n=[0, 10, 10], iqr=[0.0, 0.0, 0.0])
    assert consensus(empty, RuleParts(max_iqr=1)).tolist() == [False, True, True]


def test_a_band_part_needs_a_band() -> None:
    with pytest.raises(ValueError, match="band"):
        evaluate_parts(rows(), RuleParts(min_percent_in_band=70))


def test_it_reads_a_rule_model_with_decimals() -> None:
    model = SimpleNamespace(
        version=3,
        max_iqr=Decimal("1.00"),
        band="high",
        min_percent_in_band=Decimal("70.00"),
        max_percent_opposite_band=None,
        max_cv=None,
        min_cns=Decimal("0.750"),
        require_rand_agreement=False,
    )
    parts = RuleParts.from_rule(model)
    assert parts == RuleParts(version=3, max_iqr=1.0, band="high", min_percent_in_band=70.0, min_cns=0.75)
    assert parts.part_names() == ["max_iqr", "min_percent_in_band", "min_cns"]


# The AI-safety template's old rule (IQR <= 1, >= 70% in the top third, <= 15% in the bottom third) knew only
# the top of the scale: "Shared protocols / R1" with every rating in 1-3 and IQR 1 showed "No consensus".
LOW_RISK = {"n": [10], "iqr": [1.0], "pct_low": [100.0], "pct_mid": [0.0], "pct_high": [0.0], "cv": [0.3],
            "cns": [0.87], "ipras_disagreement": [False], "criterion": ["R1"]}  # fmt: skip
COMET = RuleParts(band="either", min_percent_in_band=70, max_percent_opposite_band=15)


def test_agreement_that_a_risk_is_low_is_consensus_under_the_either_band() -> None:
    low = pd.DataFrame(LOW_RISK)
    old = RuleParts(max_iqr=1, band="high", min_percent_in_band=70, max_percent_opposite_band=15)
    assert consensus(low, old).tolist() == [False]
    found = agreement(low, COMET)
    assert found["consensus"].tolist() == [True]
    assert found["consensus_band"].tolist() == ["low"]


def test_the_either_band_records_which_end_agreed_and_keeps_the_opposite_ceiling_per_end() -> None:
    frame = rows(pct_low=[0.0, 75.0, 20.0, 72.0], pct_mid=[20.0, 10.0, 10.0, 8.0],
                 pct_high=[80.0, 15.0, 70.0, 20.0], n=[10] * 4, iqr=[1.0] * 4, cv=[0.1] * 4, cns=[0.8] * 4,
                 ipras_disagreement=[False] * 4)  # fmt: skip
    found = agreement(frame, COMET)
    # Row 3: 70% high but 20% low (> 15); row 4: 72% low but 20% high. Neither end passes.
    assert found["consensus"].tolist() == [True, True, False, False]
    assert found["consensus_band"].tolist() == ["high", "low", "", ""]


def test_a_rule_without_a_band_records_the_third_holding_most_ratings() -> None:
    found = agreement(rows(), RuleParts(max_iqr=1))
    assert found["consensus_band"].tolist() == ["high", "high", ""]


def test_a_rule_set_applies_the_parts_of_each_criterion_kind_and_criterion() -> None:
    frame = pd.concat([pd.DataFrame(LOW_RISK)] * 3, ignore_index=True)
    frame["criterion"] = [1, 2, 3]
    high_only = RuleParts(band="high", min_percent_in_band=70)
    rule = RuleSet(
        default=high_only,
        by_kind={"risk": COMET},
        by_criterion={3: RuleParts(max_iqr=0.5)},
        kinds={1: "benefit", 2: "risk", 3: "risk"},
    )
    found = agreement(frame, rule)
    assert found["consensus"].tolist() == [False, True, False]
    assert found["consensus_band"].tolist() == ["", "low", ""]


def test_a_rule_set_reads_overrides_by_kind_and_by_criterion_code() -> None:
    model = SimpleNamespace(
        version=2, max_iqr=Decimal(1), band="", min_percent_in_band=None, max_percent_opposite_band=None,
        max_cv=None, min_cns=None, require_rand_agreement=False,
        parts_by_kind={"risk": {"band": "either", "min_percent_in_band": "70"}},
        parts_by_criterion={"B9": {"min_cns": "0.8"}},
    )  # fmt: skip
    rule = RuleSet.from_rule(model, {1: ("B1", "benefit"), 2: ("R1", "risk"), 9: ("B9", "benefit")})
    assert rule.parts_for(1) == RuleParts(version=2, max_iqr=1.0)
    assert rule.parts_for(2) == RuleParts(version=2, band="either", min_percent_in_band=70.0)
    assert rule.parts_for(9) == RuleParts(version=2, min_cns=0.8)
