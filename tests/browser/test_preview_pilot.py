"""A coordinator previews the expert's form in both languages and pilots it on a 360 px phone.

From the round's page: the preview shows the form as an expert reading English, then Chinese, sees it,
with the coordinator's banner in their own language, and submitting it stores nothing. In pilot mode
the answers are kept as pilot data, shown on the round's pilot page marked as such, and never become
ratings.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from elicitation.models import AnswerRevision, AreaResponse, PilotResponse, Rating, Round
from tests.a11y.axe import audit, describe
from tests.factories import make_bilingual_study, make_experts, make_round, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logged_in_phone(browser: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no horizontal scroll on a phone"


def test_preview_in_both_languages_and_a_pilot_run_on_a_phone(browser, live_server, console_log):
    from playwright.sync_api import expect

    coordinator = make_user("piloting")
    study = make_bilingual_study(coordinator=coordinator)
    make_experts(study, 6)
    draft = make_round(study, status=Round.Status.DRAFT)
    first = draft.items.order_by("area__order", "criterion__order").first()
    assert first is not None
    area = first.area
    page = _logged_in_phone(browser, live_server, coordinator)
    console_log.attach(page)

    page.goto(f"{live_server.url}/studies/{study.uuid}/rounds/{draft.uuid}/")
    page.get_by_role("link", name="Preview the form in English").click()
    page.wait_for_load_state()
    expect(page.locator("h2", has_text=area.title).first).to_be_visible()
    expect(page.get_by_text("Nothing you enter here is saved.")).to_be_visible()
    _no_sideways_scroll(page)
    violations = audit(page)
    assert not violations, f"preview (English):\n{describe(violations)}"

    page.locator(".try-banner").get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("h2", has_text=area.translations["zh-hans"]["title"]).first).to_be_visible()
    expect(page.get_by_text("Nothing you enter here is saved.")).to_be_visible()  # the coordinator's language
    _no_sideways_scroll(page)
    violations = audit(page)
    assert not violations, f"preview (Chinese):\n{describe(violations)}"

    before = (Rating.objects.count(), AreaResponse.objects.count(), AnswerRevision.objects.count())
    page.locator(f'input[name="r-{first.area_id}-{first.criterion_id}"][value="7"]').check()
    page.locator("button[type=submit][form=round-form][value=submit]").click()
    page.wait_for_load_state()
    expect(page.get_by_text("These answers would be accepted")).to_be_visible()
    assert (Rating.objects.count(), AreaResponse.objects.count(), AnswerRevision.objects.count()) == before
    assert not PilotResponse.objects.exists()

    page.get_by_role("link", name="Switch to pilot mode").click()
    page.wait_for_load_state()
    expect(page.locator(".try-banner.pilot")).to_be_visible()
    page.locator("#tester-label").fill("Colleague on a phone")
    page.locator(f'input[name="r-{first.area_id}-{first.criterion_id}"][value="cj"]').check()
    page.locator(f"#rationale-{area.pk}").fill("试测理由")
    page.locator("button[type=submit][form=round-form][value=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Kept as pilot data")
    _no_sideways_scroll(page)

    page.locator(".try-banner").get_by_role("link", name="Pilot data").click()
    page.wait_for_load_state()
    expect(page.locator("h1 .pilot-mark")).to_be_visible()
    expect(page.get_by_text("Colleague on a phone")).to_be_visible()
    expect(page.get_by_text("试测理由")).to_be_visible()
    _no_sideways_scroll(page)
    pilot = PilotResponse.objects.get()
    assert pilot.language == "zh-hans"
    assert (Rating.objects.count(), AreaResponse.objects.count(), AnswerRevision.objects.count()) == before

    page.get_by_role("button", name="Delete the pilot run").click()
    page.wait_for_load_state()
    expect(page.get_by_text("No pilot answers yet.")).to_be_visible()
    assert not PilotResponse.objects.exists()
    assert console_log.errors == []
