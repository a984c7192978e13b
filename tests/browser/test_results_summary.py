"""At a study's end a coordinator previews the results summary in both languages and sends it; an expert
opens it from the e-mail's link (issue 20). Both pages pass the accessibility audit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from elicitation.models import EmailJob, Round
from tests.a11y.axe import audit, describe
from tests.factories import make_bilingual_study, make_experts, make_round, make_user, rate_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery: None) -> None:
    """The e-mail jobs run in the server's process once the sending commits."""


def _signed_in(browser: Any, live_server: Any, user: Any) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def test_a_coordinator_previews_and_sends_the_summary_and_an_expert_opens_it(browser, live_server, console_log):
    from playwright.sync_api import expect

    coordinator = make_user("closing")
    study = make_bilingual_study(coordinator=coordinator, min_group_size=3)
    experts = make_experts(study, 4)
    experts[3].language = "zh-hans"
    experts[3].consented_at = experts[3].created_at  # as everyone who took part
    experts[3].save(update_fields=["language", "consented_at"])
    rate_everything(make_round(study, status=Round.Status.CLOSED))
    rate_everything(make_round(study, status=Round.Status.CLOSED))
    page = _signed_in(browser, live_server, coordinator)
    console_log.attach(page)

    page.goto(f"{live_server.url}/studies/{study.uuid}/rounds/")
    page.get_by_role("link", name="Preview and send the results summary").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Results summary for the experts")).to_be_visible()
    expect(page.get_by_text("Results: Cooperation between rivals")).to_be_visible()
    expect(page.locator("pre.email-preview")).to_contain_text("has ended after 2 rounds")
    violations = audit(page)
    assert not violations, f"summary page (English preview):\n{describe(violations)}"

    page.get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    expect(page.locator("pre.email-preview")).to_contain_text("竞争对手之间的合作")
    expect(page.locator("pre.email-preview")).to_contain_text("德尔菲研究")

    page.get_by_role("button", name="Send the results summary").click()  # not confirmed: nothing goes out
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_contain_text("Tick the box to confirm the sending.")
    assert not EmailJob.objects.exists()
    assert [error for error in console_log.errors if "favicon" not in error] == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"  # that refusal
    ]
    console_log.errors.clear()
    page.get_by_label("I have read the preview: send the summary.").check()
    page.get_by_role("button", name="Send the results summary").click()
    page.wait_for_load_state()
    expect(page.get_by_text("The summary is on its way to 4 experts.")).to_be_visible()
    expect(page.get_by_text("0 of them have not received it yet.")).to_be_visible()
    summaries = {message.to[0]: message for message in mail.outbox}
    assert sorted(summaries) == sorted(expert.email for expert in experts)

    chinese = str(summaries[experts[3].email].body)
    link = re.search(r"/e/[\w-]{20,}/\?to=summary", chinese)
    assert link is not None
    expert_page = browser.new_context().new_page()
    console_log.attach(expert_page)
    expert_page.goto(live_server.url + link.group(0))
    expert_page.wait_for_load_state()
    assert expert_page.url.endswith("/e/summary/")
    assert expert_page.locator("html").get_attribute("lang") == "zh-hans"
    expect(expert_page.get_by_role("heading", level=1)).to_have_text("研究结果")
    expect(expert_page.locator(".results-summary")).to_contain_text("共同协议")
    violations = audit(expert_page)
    assert not violations, f"the expert's summary page:\n{describe(violations)}"
    assert [error for error in console_log.errors if "favicon" not in error] == []
