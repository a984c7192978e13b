"""The expert's round form on a 360 px phone, as issue 20 found it working against the expert.

A returning expert lands on the form (not the welcome page); their round-1 reasons are in the reason
box, editable; the panel's reasons are shown beside it, not folded away; submitting with two items
unanswered says so with a count and a link that brings the first of them into view.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from elicitation.models import AreaResponse, Rating, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_experts, make_round, make_study, rate_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN = "Verification needs shared test suites first."
OTHER = "Labs already exchange red-team findings informally."


def test_a_returning_expert_finds_the_form_ready_and_the_missing_items_named(browser, live_server):
    from playwright.sync_api import expect

    study = make_study(
        title="Phone study",
        min_group_size=3,
        feedback_timing=Study.FeedbackTiming.BEFORE,
        blocs=["United States", "China"],  # the breakdown by bloc is shown
    )
    experts = make_experts(study, 6)
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first)
    area = study.areas.earliest("order")
    AreaResponse.objects.create(round=first, expert=experts[0], area=area, rationale=OWN, rationale_language="en")
    AreaResponse.objects.create(round=first, expert=experts[1], area=area, rationale=OTHER, rationale_language="en")
    second = make_round(study, status=Round.Status.OPEN)
    expert = experts[0]
    expert.consented_at = timezone.now()  # consented in round 1: a returning expert
    expert.save(update_fields=["consented_at"])
    items = list(second.items.order_by("area__order", "criterion__order"))
    missing = [items[-1], items[2]]  # the first in the form's order is items[2]
    Rating.objects.bulk_create(
        Rating(round=second, expert=expert, area_id=i.area_id, criterion_id=i.criterion_id, value=5)
        for i in items
        if i not in missing
    )

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    assert page.url == f"{live_server.url}/e/round/", "a returning expert lands on the form"

    box = page.locator(f"#rationale-{area.pk}")
    expect(box).to_have_value(OWN)
    expect(page.locator(f"#rationale-{area.pk}-carried")).to_contain_text("Your reasons from round 1, carried over")
    expect(page.get_by_text(OTHER)).to_be_visible()  # the panel's reasons, not folded away
    assert page.locator(f"#rationales-{area.pk} details").count() == 0
    assert page.locator("table.blocs").count() > 0
    assert broken_headers(page) == [], "bloc table headers broken inside a word"
    box.fill(OWN + " And a shared incident registry.")

    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_load_state()
    error = page.locator("#form-error")
    expect(error).to_contain_text("2 items still need an answer")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no horizontal scroll on a phone"
    error.get_by_role("link", name="Go to the first unanswered item").click()
    target = page.locator(f"#item-{missing[1].area_id}-{missing[1].criterion_id}")
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("Please answer this item.")
    # What the expert wrote was saved with the failed submit: nothing typed is lost.
    saved = AreaResponse.objects.get(round=second, expert=expert, area=area)
    assert saved.rationale == OWN + " And a shared incident registry."

    for item in missing:
        page.locator(f'input[name="r-{item.area_id}-{item.criterion_id}"][value="cj"]').check()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(f"{live_server.url}/e/thanks/")
    context.close()


def test_the_suggestion_box_comes_before_the_submit_button(browser, live_server):
    study = make_study(title="Suggestions study", suggestions_enabled=True)
    expert = make_experts(study, 3)[0]
    make_round(study, status=Round.Status.OPEN)
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/e/{token_issue(expert=expert)}/")
    suggestion = page.locator("#suggestion-text").bounding_box()
    submit = page.get_by_role("button", name="Submit my answers").bounding_box()
    assert suggestion is not None
    assert submit is not None
    assert suggestion["y"] < submit["y"]
    context.close()


BROKEN_WORDS = """() => {
  const broken = [];
  for (const th of document.querySelectorAll("table.blocs thead th")) {
    const text = th.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) continue;
    for (const match of text.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(text, match.index);
      range.setEnd(text, match.index + match[0].length);
      if (range.getClientRects().length > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def broken_headers(page: Any) -> list[str]:
    """The words of the bloc tables' headers that the browser broke across lines."""
    return page.evaluate(BROKEN_WORDS)
