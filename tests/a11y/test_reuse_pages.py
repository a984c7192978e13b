"""WCAG 2.2 A/AA audit (axe-core) of the pages of issue 20's study reuse, scheduling and pilot, in both languages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from elicitation.models import Round
from elicitation.rounds.services.pilot import PilotAnswer, pilot_record
from elicitation.setup.services.reuse import template_save
from tests.a11y.axe import audit, describe
from tests.factories import make_bilingual_study, make_experts, make_round, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_reuse_templates_import_schedule_and_pilot_pages_are_accessible(
    live_server, browser_page, console_log, language
):
    coordinator = make_user("reuser")
    study = make_bilingual_study(coordinator=coordinator)
    make_experts(study, 6)
    draft = make_round(study, status=Round.Status.DRAFT)
    item = draft.items.order_by("area__order", "criterion__order").first()
    assert item is not None
    template_save(study=study, user=coordinator, title="Our standard", description="Four areas.")
    pilot_record(
        round=draft,
        user=coordinator,
        language="en",
        answers=[PilotAnswer(item.area_id, item.criterion_id, 6)],
        areas={item.area_id: {"confidence": 3, "rationale": "Clear enough."}},
        tester_label="A colleague",
    )
    client = Client()
    client.force_login(coordinator)
    page = browser_page
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
             "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )  # fmt: skip
    base = f"{live_server.url}/studies/{study.uuid}"
    pages = {
        "reuse": f"{base}/reuse/",
        "templates": f"{live_server.url}/studies/templates/",
        "import": f"{live_server.url}/studies/import/",
        "round with its schedule form": f"{base}/rounds/{draft.uuid}/",
        "pilot data": f"{base}/rounds/{draft.uuid}/pilot/",
    }
    for where, url in pages.items():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language, where
        violations = audit(page)
        assert not violations, f"{where}:\n{describe(violations)}"

    # The import page with its list of problems.
    page.goto(pages["import"])
    bad = b'{\n  "study": {"title": "X", "mode": 3},\n}'
    page.set_input_files(
        "input[type=file]", files=[{"name": "study.json", "mimeType": "application/json", "buffer": bad}]
    )
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("section.problems").count() == 1
    violations = audit(page)
    assert not violations, f"import with problems:\n{describe(violations)}"
    assert console_log.errors == [] or all("400" in error for error in console_log.errors)
