"""Fixtures of the aggregation tests: a study with blocs large enough to compare."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from elicitation.models import Round, Study


@pytest.fixture
def panel_study(db: None) -> Study:
    """Twenty experts, five per bloc (k = 5), the demo's four areas and six criteria."""
    from tests.factories import make_experts, make_study

    study = make_study(title="Panel study")
    make_experts(study, 20)
    return study


@pytest.fixture
def closed_round(panel_study: Study) -> Round:
    from elicitation.models import Round
    from tests.factories import make_round, rate_everything

    round_ = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_, [7, 8, 8, 9, None, 8, 2, 7, 8, 3, 8, 8, 6])
    return round_
