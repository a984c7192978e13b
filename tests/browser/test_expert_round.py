"""An expert opens their link, consents, rates every item of round 2 with feedback, leaves and comes back."""

from __future__ import annotations

from typing import Any

import pytest

from elicitation.models import AreaResponse, Rating, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_experts, make_round, make_study, rate_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_an_expert_rates_round_two_with_feedback_and_finds_the_answers_kept(browser, live_server):
    from playwright.sync_api import expect

    study = make_study(
        title="Cooperation study",
        min_group_size=3,
        introduction="Where could rivals cooperate?",
        blocs=["United States", "China"],  # two blocs of four: the breakdown by bloc is shown
    )
    experts = make_experts(study, 8)
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first, [3, 5, 7, 8, 6])
    second = make_round(study, status=Round.Status.OPEN)
    expert = experts[0]
    link = f"{live_server.url}/e/{token_issue(expert=expert)}/"
    items = list(second.items.select_related("area", "criterion"))
    total = len(items)

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    problems = watch_console(page)
    page.goto(link)
    assert page.url == f"{live_server.url}/e/", "the token leaves the address bar"
    expect(page.get_by_text("Where could rivals cooperate?")).to_be_visible()
    page.get_by_label("I have read the above and agree to take part").check()
    page.get_by_role("button", name="Agree and continue").click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    expect(page.locator("#progress")).to_contain_text(f"0 of {total} answered")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no horizontal scroll on a phone"

    status = page.locator("#save-status")
    chosen: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        name = f"r-{item.area_id}-{item.criterion_id}"
        value = "cj" if number == 3 else str((number % 9) + 1)
        feedback = page.locator(f"#fb-item-{item.area_id}-{item.criterion_id}")
        expect(feedback.locator("svg.chart")).to_have_count(0)  # "after own rating": hidden until rated
        page.locator(f'input[name="{name}"][value="{value}"]').check()
        expect(status).to_have_text(f"Saved. {number} of {total} answered.")
        expect(feedback.locator("svg.chart")).to_be_visible()
        expect(feedback).to_contain_text("The panel in round 1:")
        chosen[name] = value

    expect(page.locator("table.blocs")).to_have_count(total)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "feedback fits a phone too"

    # The keyboard changes an answer too: arrow keys move through a radio group, and the change autosaves.
    last = items[-1]
    name = f"r-{last.area_id}-{last.criterion_id}"
    page.locator(f'input[name="{name}"][value="{chosen[name]}"]').focus()
    page.keyboard.press("ArrowLeft")
    chosen[name] = str(int(chosen[name]) - 1)
    expect(page.locator(f'input[name="{name}"][value="{chosen[name]}"]')).to_be_checked()
    expect(status).to_have_text(f"Saved. {total} of {total} answered.")

    area_id = items[0].area_id
    page.locator(f'input[name="confidence-{area_id}"][value="4"]').check()
    expect(status).to_contain_text("Saved.")
    page.get_by_label("Reasons for your ratings (optional)").first.fill("Checks without trust 无需信任")
    page.locator("h1").click()  # leave the field: the change is saved
    expect(status).to_contain_text("Saved.")
    page.wait_for_function(
        "() => !document.querySelector('#round-form').classList.contains('htmx-request')"
        " && !document.querySelector('.htmx-request')"
    )
    context.close()

    assert Rating.objects.filter(round=second, expert=expert).count() == total
    response = AreaResponse.objects.get(round=second, expert=expert, area_id=area_id)
    assert (response.confidence, response.rationale) == (4, "Checks without trust 无需信任")

    # Another day, another browser: the link again, and everything is as it was left.
    context = browser.new_context()
    page = context.new_page()
    problems += watch_console(page)
    page.goto(link)
    page.wait_for_url(f"{live_server.url}/e/round/")  # having consented, straight back to the form
    expect(page.locator("#progress")).to_contain_text(f"{total} of {total} answered")
    for name, value in chosen.items():
        expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()
    expect(page.locator(f'input[name="confidence-{area_id}"][value="4"]')).to_be_checked()
    expect(page.locator(f"#rationale-{area_id}")).to_have_value("Checks without trust 无需信任")
    assert page.locator("svg.chart").count() == total  # the "cannot judge" item shows the panel too
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(f"{live_server.url}/e/thanks/")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    context.close()
    assert problems == []
    assert Study.objects.get(pk=study.pk).experts.get(pk=expert.pk).participations.get(round=second).submitted_at


def test_an_autosave_that_cannot_reach_the_server_says_so(browser, live_server):
    from playwright.sync_api import expect

    study = make_study(title="Offline study")
    expert = make_experts(study, 1)[0]
    round_ = make_round(study, status=Round.Status.OPEN)
    item = round_.items.all()[0]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    page.get_by_label("I have read the above and agree to take part").check()
    page.get_by_role("button", name="Agree and continue").click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    expect(page.locator("#save-status")).to_be_empty()
    context.set_offline(True)
    page.locator(f'input[name="r-{item.area_id}-{item.criterion_id}"][value="4"]').check()
    expect(page.locator("#save-status")).to_contain_text("Not saved: the connection was lost.")
    context.set_offline(False)
    page.locator(f'input[name="r-{item.area_id}-{item.criterion_id}"][value="5"]').check()
    expect(page.locator("#save-status")).to_have_text("Saved. 1 of 24 answered.")
    context.close()
    assert Rating.objects.get(round=round_, expert=expert).value == 5
