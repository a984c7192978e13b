"""The consensus rule: built from parts, versioned once frozen, told in plain words."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from elicitation.models import ConsensusRule
from elicitation.setup.services.rules import rule_in_words, rule_save
from tests.factories import open_round

pytestmark = pytest.mark.django_db


def test_an_unfrozen_rule_is_edited_in_place(study_a, coordinator_a):
    rule = rule_save(study=study_a, user=coordinator_a, max_iqr="1.5", band="high", min_percent_in_band=75)
    assert rule.version == 1
    assert study_a.consensus_rules.count() == 1
    assert rule.max_iqr == Decimal("1.5")


def test_a_frozen_rule_is_kept_and_a_new_version_is_made(study_a, coordinator_a):
    open_round(study_a, user=coordinator_a)
    frozen = study_a.current_rule()
    assert frozen is not None
    assert frozen.is_frozen
    new = rule_save(
        study=study_a, user=coordinator_a, reason="Pilot", max_iqr=2, band="high", min_percent_in_band=70, min_cns="0.8"
    )
    assert new.version == 2
    frozen.refresh_from_db()
    assert frozen.max_iqr == 1
    assert frozen.min_cns is None
    assert study_a.current_rule() == new
    again = rule_save(study=study_a, user=coordinator_a, max_iqr=2, band="high", min_percent_in_band=70, min_cns="0.8")
    assert again.pk == new.pk


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({}, "__all__"),
        ({"min_percent_in_band": 70}, "band"),
        ({"band": "high"}, "min_percent_in_band"),
        ({"band": "middle", "min_percent_in_band": 60, "max_percent_opposite_band": 10}, "max_percent_opposite_band"),
        ({"max_iqr": -1}, "max_iqr"),
        ({"min_cns": "1.5"}, "min_cns"),
        ({"max_cv": "abc"}, "max_cv"),
        ({"max_iqr": "NaN"}, "max_iqr"),
        # A band outside the scale: not a third of it, or a spread wider than the 1-9 scale allows.
        ({"band": "top", "min_percent_in_band": 70}, "band"),
        ({"max_iqr": 9}, "max_iqr"),
        ({"max_iqr": 1, "divide_threshold": 9}, "divide_threshold"),
        ({"max_iqr": 1, "divide_threshold": 0}, "divide_threshold"),
        # Thresholds that contradict each other.
        ({"band": "either", "min_percent_in_band": 50}, "min_percent_in_band"),
        ({"band": "high", "min_percent_in_band": 30, "max_percent_opposite_band": 40}, "max_percent_opposite_band"),
        ({"max_iqr": 1, "inclusion": "everyone"}, "inclusion"),
        # Overrides per criterion kind or criterion are checked the same way, each error named by its place.
        ({"max_iqr": 1, "parts_by_kind": {"cost": {"max_iqr": 1}}}, "parts_by_kind.cost"),
        ({"max_iqr": 1, "parts_by_kind": {"risk": {}}}, "parts_by_kind.risk"),
        (
            {"max_iqr": 1, "parts_by_kind": {"risk": {"band": "either", "min_percent_in_band": 40}}},
            "parts_by_kind.risk.min_percent_in_band",
        ),
        ({"max_iqr": 1, "parts_by_criterion": {"Z9": {"max_iqr": 1}}}, "parts_by_criterion.Z9"),
    ],
)
def test_incomplete_or_impossible_rules_are_refused(study_a, coordinator_a, parts, field):
    with pytest.raises(InvalidInput) as caught:
        rule_save(study=study_a, user=coordinator_a, **parts)
    assert field in caught.value.field_errors
    assert study_a.consensus_rules.get().max_iqr == 1


def test_the_rule_in_words_names_every_part():
    rule = ConsensusRule(
        version=1,
        max_iqr=Decimal("1.00"),
        band="high",
        min_percent_in_band=Decimal("70.00"),
        max_percent_opposite_band=Decimal("15.00"),
        max_cv=Decimal("0.250"),
        min_cns=Decimal("0.800"),
        require_rand_agreement=True,
        frozen_at=timezone.now(),
    )
    words = rule_in_words(rule)
    assert words.startswith("An item reaches consensus when all of these hold:")
    for part in [
        "interquartile range is at most 1",
        "at least 70% of ratings are in the highest third",
        "at most 15% of ratings are in the lowest third",
        "coefficient of variation is at most 0.25",
        "(Cns) is at least 0.8",
        "RAND/UCLA",
    ]:
        assert part in words


def test_a_one_part_rule_and_no_rule_read_plainly():
    words = rule_in_words(ConsensusRule(max_iqr=Decimal(1)))
    assert words.startswith("An item reaches consensus when the interquartile range is at most 1. ")
    assert "count the answers of experts who submitted the round" in words
    assert "their medians differ by at least 3 points" in words
    assert rule_in_words(None) == "No consensus rule is set."


def test_a_rule_with_overrides_per_kind_and_its_settings_is_saved_and_told(study_a, coordinator_a):
    rule = rule_save(
        study=study_a,
        user=coordinator_a,
        band="high",
        min_percent_in_band=70,
        parts_by_kind={"risk": {"band": "either", "min_percent_in_band": "70", "max_percent_opposite_band": 15}},
        inclusion="all",
        divide_threshold="2.5",
    )
    rule.refresh_from_db()
    assert rule.parts_by_kind == {
        "risk": {"band": "either", "min_percent_in_band": "70", "max_percent_opposite_band": "15"}
    }
    assert (rule.inclusion, rule.divide_threshold) == ("all", Decimal("2.5"))
    words = rule_in_words(rule)
    assert (
        "For risk criteria: An item reaches consensus when all of these hold: at least 70% of ratings are in "
        "one end of the scale" in words
    )
    assert "every saved answer" in words
    assert "at least 2.5 points" in words


def test_the_rule_page_refuses_a_bad_rule_with_field_errors_and_saves_nothing(client, study_a, coordinator_a):
    client.force_login(coordinator_a)
    before = list(study_a.consensus_rules.values())
    response = client.post(
        f"/studies/{study_a.uuid}/rule/",
        {"band": "either", "min_percent_in_band": "40", "inclusion": "submitted", "divide_threshold": "3",
         "risk__band": "high"},
    )  # fmt: skip
    assert response.status_code == 400
    form = response.context["form"]
    assert "above 50%" in form.errors["min_percent_in_band"][0]
    assert "risk__min_percent_in_band" in form.errors
    assert list(study_a.consensus_rules.values()) == before
