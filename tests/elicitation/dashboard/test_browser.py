"""The dashboard in a real browser: charts drawn, scripts working under the CSP, no console errors, WCAG AA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aggregation.models import AggregationRun
from tests.a11y.axe import audit, describe
from tests.elicitation.dashboard.results import study_with_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGES = ["overview", "map", "consensus", "convergence", "divided", "report"]


@pytest.fixture
def dashboard(live_server, browser_page, coordinator_a, study_a):
    """A signed-in browser page and the URL of study A's dashboard, which has two rounds of results."""
    study_with_results(study_a)
    client = Client()
    client.force_login(coordinator_a)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    return browser_page, live_server.url + reverse("dashboard:overview", args=[study_a.uuid])


def _url(base: str, page: str) -> str:
    return base if page == "overview" else f"{base}{page}/"


def test_the_charts_are_drawn_with_no_console_errors(dashboard, console_log):
    page, base = dashboard
    page.goto(_url(base, "map"))
    chart = page.locator("svg#chart-map")
    chart.wait_for()
    assert chart.bounding_box()["width"] > 300
    assert page.locator("svg#chart-map g.point").count() == 4
    assert page.locator("svg#chart-map g.movement").count() == 4
    page.goto(_url(base, "convergence"))
    assert page.locator("svg.chart").count() == 8
    assert page.locator("svg.chart polyline").count() > 0
    assert console_log.errors == []


def test_a_chart_downloads_as_png_drawn_from_the_inline_svg(dashboard, console_log):
    page, base = dashboard
    page.goto(_url(base, "map"))
    button = page.locator("button[data-png-chart='chart-map']")
    button.wait_for(state="visible")  # shown only once the script has run
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "map-round-2.png"
    with open(download.path(), "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert console_log.errors == []


def test_results_update_without_a_reload_while_the_round_is_open(dashboard, console_log, settings, study_a):
    settings.DASHBOARD_MIN_POLL_SECONDS = 1
    study_a.aggregation_interval_seconds = 1
    study_a.save()
    page, base = dashboard
    page.goto(base)
    page.evaluate("() => { window.notReloaded = true; }")
    assert page.locator("#results-status .updating").count() == 0
    round_ = study_a.rounds.get(number=2)
    AggregationRun.objects.create(round=round_, status="queued", requested_at=timezone.now() + timedelta(seconds=1))
    page.locator("#results-status .updating").wait_for(timeout=10_000)
    assert page.evaluate("() => window.notReloaded") is True
    assert console_log.errors == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_dashboard_page_passes_the_accessibility_audit(dashboard, console_log, live_server, language):
    page, base = dashboard
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    for name in PAGES:
        page.goto(_url(base, name))
        assert page.locator("html").get_attribute("lang") == language
        violations = audit(page)
        assert not violations, f"{name}:\n{describe(violations)}"
    assert console_log.errors == []


def test_without_scripts_the_svg_link_works_and_no_dead_png_button_shows(live_server, browser, coordinator_a, study_a):
    study_with_results(study_a)
    client = Client()
    client.force_login(coordinator_a)
    context = browser.new_context(java_script_enabled=False)
    try:
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + reverse("dashboard:map", args=[study_a.uuid]))
        assert page.locator("svg#chart-map g.point").count() == 4  # server-rendered: no script needed
        assert page.locator("a[download]", has_text="Download SVG").first.is_visible()
        assert not page.locator("button[data-png-chart]").first.is_visible()
    finally:
        context.close()
