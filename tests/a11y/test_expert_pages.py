"""The expert's pages: audited with axe-core in both languages, and a whole round done by keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import Rating, Round
from elicitation.setup.services.tokens import token_issue
from tests.a11y.axe import audit, describe
from tests.factories import make_experts, make_round, make_study, rate_everything, translate_into_chinese

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _second_round_study(language: str) -> tuple[Any, Round, str]:
    study = make_study(
        title="Cooperation study",
        min_group_size=3,
        introduction="Where could rivals cooperate?",
        blocs=["United States", "China"],
        languages=["en", "zh-hans"],
    )
    translate_into_chinese(study)  # a round opens to Chinese-reading experts only with every text in Chinese
    experts = make_experts(study, 8, language=language)
    rate_everything(make_round(study, status=Round.Status.CLOSED), [3, 5, 7, 8, 6, None])
    second = make_round(study, status=Round.Status.OPEN)
    return experts[0], second, token_issue(expert=experts[0])


def _assert_accessible(page: Any, where: str) -> None:
    violations = audit(page)
    assert not violations, f"{where}:\n{describe(violations)}"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_welcome_form_feedback_and_thanks_have_no_serious_violations(live_server, browser_page, console_log, language):
    _expert, second, token = _second_round_study(language)
    page = browser_page
    page.goto(f"{live_server.url}/e/{token}/")
    assert page.locator("html").get_attribute("lang") == language
    _assert_accessible(page, "welcome")
    page.locator("input[type=checkbox]").first.check()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    _assert_accessible(page, "form before rating")
    # Rate the first item: its feedback from round 1 appears (feedback after one's own rating).
    first = second.items.order_by("area__order", "criterion__order")[0]
    page.locator(f'input[name="r-{first.area_id}-{first.criterion_id}"][value="5"]').check()
    page.locator(f"#fb-item-{first.area_id}-{first.criterion_id} svg.chart").wait_for()
    _assert_accessible(page, "form with feedback")
    for answered, item in enumerate(second.items.all(), start=1):
        # One answer at a time, as a person gives them: each reveal inserts a chart that moves the items
        # below it, so a click sent while a save's answer is still landing can hit the wrong spot.
        page.locator(f'input[name="r-{item.area_id}-{item.criterion_id}"][value="6"]').check()
        page.wait_for_function(
            f"() => document.querySelector('#progress progress').value === {answered}"
            " && !document.querySelector('.htmx-request')"
        )
    page.locator("button[type=submit][form=round-form]").last.click()  # the buttons follow the suggestion box
    page.wait_for_load_state()
    _assert_accessible(page, f"after submitting ({page.url})")
    assert console_log.errors == []


def test_a_whole_round_can_be_done_with_the_keyboard_alone(live_server, browser_page, console_log):
    """Tab to each question, Space to choose, Enter to submit: no mouse, no clicks."""
    expert, second, token = _second_round_study("en")
    page = browser_page
    page.goto(f"{live_server.url}/e/{token}/")
    submitted_url = None
    for _ in range(800):
        focused = page.evaluate(
            """() => { const e = document.activeElement;
                return {tag: e.tagName, type: e.type || '', name: e.name || '', text: (e.innerText || '').trim(),
                        checked: !!e.checked,
                        groupDone: e.type === 'radio' && !!document.querySelector(
                            `input[type=radio][name="${e.name}"]:checked`),
                        url: location.pathname}; }"""
        )
        if focused["type"] == "checkbox" and not focused["checked"]:
            page.keyboard.press("Space")  # the consent box
        elif focused["type"] == "radio" and not focused["groupDone"] and focused["name"].startswith("r-"):
            page.keyboard.press("Space")  # the first point of a scale: any answer will do
            page.locator("#save-status").filter(has_text="Saved").wait_for()
        elif focused["tag"] == "BUTTON" and focused["text"] in {"Agree and continue", "Submit my answers"}:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            if focused["text"] == "Submit my answers":
                submitted_url = page.url
                break
            continue
        page.keyboard.press("Tab")
    assert submitted_url is not None, "the submit button was never reached with Tab"
    page.wait_for_url(f"{live_server.url}/e/thanks/")
    answered = Rating.objects.filter(round=second, expert=expert).count()
    assert answered == second.items.count()
    assert second.participations.get(expert=expert).submitted_at is not None
    assert console_log.errors == []
