"""On a 360 px phone, in English and in Chinese: an expert sees that others dissented, records their own dissent on
a rating item and on a quantity question, and is asked (optionally) why a rating moved past the threshold."""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import ItemStatement, Rating, Round, StatementKind, Study
from elicitation.setup.services.tokens import token_issue
from quantities.models import QuantityFormat, QuantityQuestion
from tests.a11y.axe import audit, describe
from tests.factories import make_bilingual_study, make_experts, make_round, mark_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
WORDS = {
    "en": {
        "others": "3 experts recorded dissent on this item.",
        "record": "Record dissent on this item",
        "moved": "Your rating moved from 5 in your previous round.",
        "question": "Record dissent on this question",
        "save": "Save my statement",
        "saved": "Saved.",
    },
    "zh-hans": {
        "others": "3 位专家对此评估项记录了异议。",
        "record": "对此评估项记录异议",
        "moved": "您的评分与上一轮的 5 相比有所变动。",
        "question": "对此问题记录异议",
        "save": "保存我的声明",
        "saved": "已保存",
    },
}


@pytest.fixture
def dissent_round() -> tuple[Study, Round, Any, QuantityQuestion]:
    """Six experts (k = 3); round 1 closed, all rated 5, three dissented on the first item; round 2 open."""
    study = make_bilingual_study(min_group_size=3, blocs=["United States", "China"])
    study.feedback_timing = Study.FeedbackTiming.BEFORE
    study.save()
    make_experts(study, 3, blocs=["United States"], language="en")
    make_experts(study, 3, blocs=["China"], language="zh-hans")
    QuantityFormat.objects.create(study=study)
    question = QuantityQuestion.objects.create(
        study=study, area=study.areas.earliest("order"), code="inspectors", title="Inspectors", lower_bound=0
    )
    first = make_round(study, status=Round.Status.CLOSED)
    experts = list(study.experts.order_by("number"))
    Rating.objects.bulk_create(
        Rating(round=first, expert=e, area_id=i.area_id, criterion_id=i.criterion_id, value=5)
        for e in experts
        for i in first.items.all()
    )
    mark_submitted(first, experts)
    item = first.items.order_by("area__order", "criterion__order")[0]
    ItemStatement.objects.bulk_create(
        ItemStatement(round=first, expert=e, kind="dissent", area_id=item.area_id, criterion_id=item.criterion_id,
                      text="Understated risk")
        for e in experts[3:]
    )  # fmt: skip
    second = make_round(study, status=Round.Status.OPEN)
    return study, second, item, question


def settled(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_expert_records_dissent_and_a_reason_on_a_phone(browser, live_server, dissent_round, language):
    from playwright.sync_api import expect

    study, second, item, question = dissent_round
    words = WORDS[language]
    expert = study.experts.filter(language=language).earliest("number")
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    page.locator("#consent").check()
    page.locator("form[action$='/e/consent/'] button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/e/round/")

    key = f"{item.area_id}-{item.criterion_id}"
    statements = page.locator(f"#item-{key}-statements")
    expect(statements.locator(".dissent-note")).to_have_text(words["others"])
    assert "Understated risk" not in page.content()  # others' words are never shown

    statements.get_by_text(words["record"]).click()
    box = page.locator(f"#dissent-{key}")
    box.fill("The panel ignores how verification leaks capability.")
    box.press("Tab")
    settled(page)
    expect(page.locator("#save-status")).not_to_contain_text("Not saved")
    statement = ItemStatement.objects.get(round=second, expert=expert, kind=StatementKind.DISSENT)
    assert statement.text == "The panel ignores how verification leaks capability."

    reason = statements.locator(".change-reason")
    expect(reason).to_be_hidden()
    page.locator(f'input[name="r-{key}"][value="6"]').check()
    settled(page)
    expect(reason).to_be_hidden()  # moved 1 point: within the study's 3
    page.locator(f'input[name="r-{key}"][value="9"]').check()
    expect(reason).to_be_visible()
    expect(reason).to_contain_text(words["moved"])
    page.locator(f"#reason-{key}").fill("New evidence on chip tracking.")
    page.locator(f"#reason-{key}").press("Tab")
    settled(page)
    expect(page.locator("#save-status")).not_to_contain_text("Not saved")
    assert ItemStatement.objects.get(round=second, expert=expert, kind=StatementKind.CHANGE_REASON).text == (
        "New evidence on chip tracking."
    )

    quantity = page.locator(f"#quantity-{question.uuid}-dissent")
    quantity.get_by_text(words["question"]).click()
    quantity.locator("textarea").fill("Bounds too tight.")
    quantity.get_by_role("button", name=words["save"]).click()
    expect(page.locator(f"#quantity-{question.uuid}-dissent")).to_contain_text(words["saved"])
    assert ItemStatement.objects.get(round=second, expert=expert, question=question).text == "Bounds too tight."

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing wider than the phone"
    assert box.bounding_box()["width"] > 250  # the box takes the phone's width
    violations = audit(page)
    assert not violations, describe(violations)
    page.reload()
    expect(page.locator(f"#dissent-{key}")).to_have_value("The panel ignores how verification leaks capability.")
    expect(page.locator(f"#item-{key}-statements .change-reason")).to_be_visible()
    assert errors == []
    context.close()
