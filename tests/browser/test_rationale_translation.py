"""A rationale across languages in Chromium: a coordinator translates it, an expert of the other language reads both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from elicitation.models import AreaResponse, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.a11y.axe import audit, describe
from tests.factories import (
    make_experts,
    make_round,
    make_study,
    make_user,
    rate_everything,
    translate_into_chinese,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGINAL = "核查机制是建立互信的前提。"
TRANSLATION = "Verification is the precondition for mutual trust."


def test_a_coordinator_translates_a_chinese_rationale_and_an_english_expert_reads_both(
    live_server, browser_page, console_log
):
    coordinator = make_user("carol")
    study = make_study(
        coordinator=coordinator,
        title="Rivals",
        min_group_size=3,
        languages=["en", "zh-hans"],
        feedback_timing=Study.FeedbackTiming.BEFORE,
    )
    translate_into_chinese(study)  # a round opens to a Chinese-reading expert only with every text in Chinese
    chinese, english, *_others = make_experts(study, 6)
    chinese.language = "zh-hans"
    chinese.save(update_fields=["language"])
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first)
    area = study.areas.earliest("order")
    response = AreaResponse.objects.create(
        round=first, expert=chinese, area=area, rationale=ORIGINAL, rationale_language="zh-hans"
    )
    client = Client()
    client.force_login(coordinator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page = browser_page
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    page.goto(f"{live_server.url}/studies/{study.uuid}/rounds/{first.uuid}/moderation/")
    item = page.locator(f"#response-{response.pk}")
    assert "Written in Simplified Chinese." in item.inner_text()
    item.locator("summary", has_text="Add a translation").click()
    assert item.locator("select[name=language]").input_value() == "en"  # the only other language
    item.locator("textarea[name=translation]").fill(TRANSLATION)
    item.get_by_role("button", name="Save translation").click()
    page.wait_for_url(f"**/moderation/#response-{response.pk}")
    assert "Coordinators' translation into English" in page.locator(f"#response-{response.pk}").inner_text()
    violations = audit(page)
    assert not violations, describe(violations)
    response.refresh_from_db()
    assert response.translated_at is not None
    assert response.translated_at <= timezone.now()

    make_round(study, status=Round.Status.OPEN)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/e/{token_issue(expert=english)}/")
    page.locator("input[type=checkbox]").first.check()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/e/round/")
    reasons = page.locator(f"#rationales-{area.pk}-list")  # beside the expert's own reason, not folded away
    text = reasons.inner_text()
    assert text.index(ORIGINAL) < text.index("Translated into English by the study's coordinators:")
    assert text.index("coordinators:") < text.index(TRANSLATION)
    assert reasons.locator(f'[lang="zh-hans"]:has-text("{ORIGINAL}")').count() == 1
    violations = audit(page)
    assert not violations, describe(violations)
    assert console_log.errors == []
