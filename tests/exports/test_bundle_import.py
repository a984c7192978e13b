"""The bundle's study.json is the study definition format: a bundle's file starts a new study."""

from __future__ import annotations

import json

import pytest

from elicitation.models import Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.reuse import study_import
from exports.bundle import study_configuration
from exports.tables import scope_for
from tests.factories import open_round, rate_everything

pytestmark = pytest.mark.django_db


def test_the_bundle_study_json_imports_as_a_new_study(study_a: Study, coordinator_a) -> None:
    round_ = open_round(study_a)
    rate_everything(round_)
    round_close(round=round_, user=coordinator_a)
    # As the bundle writes it: decimals as text, dates as text, run-only keys (rounds, software, files).
    data = json.dumps(study_configuration(scope_for(study_a)), indent=2, ensure_ascii=False, default=str).encode()

    imported = study_import(user=coordinator_a, data=data, title="From the bundle")

    assert imported.title == "From the bundle"
    assert list(imported.areas.values_list("code", "title", "order")) == list(
        study_a.areas.values_list("code", "title", "order")
    )
    assert list(imported.criteria.values_list("code", "kind", "scale_min", "scale_max", "label_min")) == list(
        study_a.criteria.values_list("code", "kind", "scale_min", "scale_max", "label_min")
    )
    rule, source = imported.current_rule(), study_a.current_rule()
    assert rule is not None
    assert source is not None
    assert (rule.max_iqr, rule.band, rule.min_percent_in_band) == (
        source.max_iqr,
        source.band,
        source.min_percent_in_band,
    )
    assert imported.min_group_size == study_a.min_group_size
    assert imported.blocs == study_a.blocs
    assert not imported.rounds.exists()
    assert not imported.experts.exists()
