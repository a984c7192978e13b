"""The setup pages in a real browser: WCAG 2.2 A/AA audit (axe-core), both languages, a 360-pixel phone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from elicitation.setup.services.studies import study_create
from tests.a11y.axe import audit, describe
from tests.factories import make_experts, make_round, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["", "settings/", "rule/", "items/", "items/import/", "areas/new/", "criteria/new/", "panel/", "panel/new/"]
PAGES += ["team/"]  # the study's team (issue 20)


@pytest.fixture
def signed_in(live_server, browser_page):
    """A coordinator with a study from the demo template, signed in in the browser."""
    user = make_user("carol")
    study = study_create(user=user, title="Audit study", template_key="ai_safety_cooperation")
    make_experts(study, 6)
    study.experts.filter(number=1).update(name="ليلى 王")
    make_round(study, status="closed")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return f"{live_server.url}/studies/{study.uuid}/"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_setup_pages_have_no_serious_accessibility_violations(signed_in, browser_page, console_log, language):
    browser_page.context.add_cookies([{"name": "django_language", "value": language, "url": signed_in}])
    for page in PAGES:
        browser_page.goto(signed_in + page)
        assert browser_page.locator("html").get_attribute("lang") == language
        violations = audit(browser_page)
        assert not violations, f"{page}: {describe(violations)}"
    assert console_log.errors == []


def test_the_setup_pages_fit_a_phone(signed_in, browser_page):
    browser_page.set_viewport_size({"width": 360, "height": 800})
    for page in PAGES:
        browser_page.goto(signed_in + page)
        assert browser_page.evaluate("document.documentElement.scrollWidth") <= 360, page


def test_a_form_error_is_announced_and_tied_to_its_field(signed_in, browser_page):
    browser_page.goto(signed_in + "panel/new/")
    browser_page.fill("#id_email", "x@example")  # the browser accepts it, the server does not
    browser_page.locator("form.form button[type=submit]").click()
    assert browser_page.locator("[role=alert]").count() >= 1
    assert browser_page.locator("#id_email").get_attribute("aria-invalid") == "true"
