"""Quantity questions of study A: a seed and a target quantity, and a probability, in its first area."""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import Expert, Round, Study
from elicitation.setup.services.tokens import token_issue
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion
from tests.factories import make_experts, make_round, make_study, mark_submitted

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def make_question(study: Study, code: str, **fields: Any) -> QuantityQuestion:
    area = study.areas.earliest("order")
    defaults: dict[str, Any] = {
        "title": f"Question {code}",
        "kind": "quantity",
        "order": study.quantity_questions.count(),
    }
    return QuantityQuestion.objects.create(study=study, area=area, code=code, **(defaults | fields))


@pytest.fixture
def questions(study_a: Study) -> dict[str, QuantityQuestion]:
    QuantityFormat.objects.create(study=study_a)
    return {
        "seed": make_question(study_a, "seed1", title="Papers on verification in 2025", is_seed=True, lower_bound=0),
        "target": make_question(study_a, "target1", title="Inspectors needed", lower_bound=0),
        "probability": make_question(
            study_a, "p1", title="Chance of a dangerous capability", kind="probability", lower_bound=0, upper_bound=1
        ),
    }


@pytest.fixture
def open_round(study_a: Study) -> Round:
    return make_round(study_a, status=Round.Status.OPEN)


@pytest.fixture
def expert_a(study_a: Study) -> Expert:
    return study_a.experts.order_by("number").first()  # type: ignore[return-value]


@pytest.fixture
def expert_client(client: Any, expert_a: Expert) -> Any:
    """A client in expert A's link session, consent given."""
    assert client.get(f"/e/{token_issue(expert=expert_a)}/").status_code == 302
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    return client


def idea_data(question: QuantityQuestion, lowest: str, best: str, highest: str, confidence: str) -> dict[str, str]:
    prefix = f"quantity-{question.pk}-"
    return {
        prefix + "lowest": lowest,
        prefix + "best": best,
        prefix + "highest": highest,
        prefix + "confidence": confidence,
    }


def answer_all(round_: Round, questions, *, submitted: bool = True) -> None:
    experts = list(round_.study.experts.order_by("number"))
    QuantityAnswer.objects.bulk_create(
        QuantityAnswer(
            round=round_, expert=expert, question=question,
            lowest=10.0 + i, best=20.0 + 2 * i + j, highest=40.0 + 3 * i, confidence=80.0,
        )
        for i, expert in enumerate(experts)
        for j, question in enumerate(questions)
    )  # fmt: skip
    if submitted:
        mark_submitted(round_, experts)


@pytest.fixture
def quantity_study() -> Study:
    """Ten experts, five in each of two blocs (k = 5), two seeds and a target."""
    study = make_study(title="Quantities", blocs=["China", "United States"])
    make_experts(study, 10)
    QuantityFormat.objects.create(study=study)
    make_question(study, "s1", is_seed=True, realization=25.0, lower_bound=0)
    make_question(study, "s2", is_seed=True, realization=31.0, lower_bound=0)
    make_question(study, "t1", lower_bound=0)
    return study
