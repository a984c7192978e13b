"""An expert answers a quantity question IDEA-style on a phone, in English and in Chinese, and sees feedback."""

from __future__ import annotations

from typing import Any

import pytest

from aggregation.services import round_aggregate
from elicitation.models import Round, Study
from elicitation.setup.services.tokens import token_issue
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion
from tests.a11y.axe import audit, describe
from tests.factories import make_bilingual_study, make_experts, make_round, mark_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
TITLE = {"en": "Inspectors needed for a joint verification regime", "zh-hans": "联合核查机制所需的检查员人数"}


@pytest.fixture
def quantity_round() -> tuple[Study, Round, QuantityQuestion]:
    """Round 1 closed with six experts' IDEA answers, pooled; round 2 open."""
    study = make_bilingual_study(min_group_size=3, blocs=["United States", "China"])
    make_experts(study, 3, blocs=["United States"], language="en")
    make_experts(study, 3, blocs=["China"], language="zh-hans")
    QuantityFormat.objects.create(study=study)
    question = QuantityQuestion.objects.create(
        study=study, area=study.areas.earliest("order"), code="inspectors", title=TITLE["en"], unit="people",
        lower_bound=0, translations={"zh-hans": {"title": TITLE["zh-hans"], "unit": "人"}},
    )  # fmt: skip
    first = make_round(study, status=Round.Status.CLOSED)
    experts = list(study.experts.order_by("number"))
    QuantityAnswer.objects.bulk_create(
        QuantityAnswer(round=first, expert=e, question=question, lowest=50 + 10 * i, best=100 + 20 * i,
                       highest=200 + 30 * i, confidence=80)
        for i, e in enumerate(experts)
    )  # fmt: skip
    mark_submitted(first, experts)
    round_aggregate(round_id=first.pk)
    second = make_round(study, status=Round.Status.OPEN)
    return study, second, question


def fill(page: Any, question: QuantityQuestion, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = page.locator(f"#quantity-{question.pk}-{name}")
        field.fill(value)
        field.press("Tab")  # leaving the field is the change that autosaves
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


@pytest.mark.parametrize(
    ("language", "saved", "refused", "answered"),
    [
        ("en", "Saved.", "Enter a confidence between 50% and 100%.", "How 6 experts answered in round 1:"),
        ("zh-hans", "已保存", "请输入介于 50% 与 100% 之间的把握度。", "6 位专家在第 1 轮的作答情况："),
    ],
)
def test_an_expert_answers_idea_style_on_a_phone_and_sees_feedback(
    browser, live_server, quantity_round, language, saved, refused, answered
):
    from playwright.sync_api import expect

    study, second, question = quantity_round
    expert = study.experts.filter(language=language).earliest("number")
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    page.locator("#consent").check()
    page.locator("form[action$='/e/consent/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    block = page.locator(f"#quantity-{question.uuid}")
    expect(block).to_contain_text(TITLE[language])
    expect(block.locator(".quantity-feedback")).to_have_count(0)  # feedback only after the expert's own answer

    fill(page, question, {"lowest": "80", "highest": "260", "best": "150", "confidence": "40"})
    result = page.locator(f"#quantity-{question.uuid}-result")
    expect(result).to_contain_text(f"“{TITLE[language]}”: {refused}")
    assert not QuantityAnswer.objects.filter(round=second, expert=expert).exists()

    fill(page, question, {"confidence": "75"})
    expect(result).to_contain_text(saved)
    expect(result).to_contain_text(answered)
    expect(result.locator("svg.interval-chart line")).to_have_count(7)  # six experts' ranges and the pooled one
    answer = QuantityAnswer.objects.get(round=second, expert=expert)
    assert (answer.lowest, answer.best, answer.highest, answer.confidence) == (80, 150, 260, 75)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing wider than the phone"
    violations = audit(page)
    assert not violations, describe(violations)
    assert block.locator(f"#quantity-{question.pk}-lowest").bounding_box()["width"] > 200  # one column on a phone

    page.reload()
    expect(page.locator(f"#quantity-{question.pk}-best")).to_have_value("150")
    expect(page.locator(f"#quantity-{question.uuid}-result")).to_contain_text(answered)
    assert errors == []
    context.close()
