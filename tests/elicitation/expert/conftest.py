"""Fixtures for the expert's experience: an open round of study A, a closed round before it, a link."""

from __future__ import annotations

import pytest

from elicitation.models import Expert, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round, rate_everything


@pytest.fixture
def open_round(study_a: Study) -> Round:
    return make_round(study_a, status=Round.Status.OPEN)


@pytest.fixture
def two_rounds(study_a: Study) -> tuple[Round, Round]:
    """Round 1 closed with every expert's ratings, round 2 open."""
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    second = make_round(study_a, status=Round.Status.OPEN)
    return first, second


@pytest.fixture
def expert_a(study_a: Study) -> Expert:
    return study_a.experts.order_by("number").first()  # type: ignore[return-value]


@pytest.fixture
def expert_b(study_b: Study) -> Expert:
    return study_b.experts.order_by("number").first()  # type: ignore[return-value]


@pytest.fixture
def link_a(expert_a: Expert) -> str:
    return f"/e/{token_issue(expert=expert_a)}/"
