"""Fixtures of the aggregation tests: a study with blocs large enough to compare, and eager Celery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from elicitation.models import Round, Study


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in-process for this test (``apply_async`` runs the task at once)."""
    from coopsurvey.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def panel_study(db: None) -> Study:
    """Twenty experts, five per bloc (k = 5), the demo's four areas and six criteria."""
    from tests.factories import make_experts, make_study

    study = make_study(title="Panel study")
    make_experts(study, 20)
    return study


@pytest.fixture
def closed_round(panel_study: Study) -> Round:
    from tests.factories import make_round, rate_everything

    round_ = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(round_, [7, 8, 8, 9, None, 8, 2, 7, 8, 3, 8, 8, 6])
    return round_
