"""The demo study's results in a real browser: coloured verdicts, a consensus on a low risk, and an item
split along bloc lines whose bloc medians differ."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from aggregation.services import round_aggregate
from elicitation.demo import ensure_demo_user, load_demo
from elicitation.models import Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_dashboard(live_server, browser_page):
    study = load_demo().study
    for round_ in study.rounds.filter(status=Round.Status.CLOSED):
        round_aggregate(round_id=round_.pk)
    client = Client()
    client.force_login(ensure_demo_user())
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    evaluations = study.areas.get(code="evaluations").title
    return browser_page, live_server.url + reverse("dashboard:overview", args=[study.uuid]), evaluations


def test_the_demo_shows_coloured_verdicts_a_low_risk_consensus_and_a_split(demo_dashboard, console_log):
    page, base, evaluations = demo_dashboard
    page.goto(f"{base}map/")
    promising = page.locator("table .verdict-promising").first
    promising.wait_for()
    colour = promising.evaluate("node => getComputedStyle(node.querySelector('.verdict-icon')).backgroundColor")
    avoid = page.locator("table .verdict-avoid").first
    other = avoid.evaluate("node => getComputedStyle(node.querySelector('.verdict-icon')).backgroundColor")
    assert colour not in {"", "rgba(0, 0, 0, 0)"}
    assert colour != other  # each verdict has its own colour
    assert page.locator(".bloc-verdicts").count() == 1

    page.goto(f"{base}consensus/")
    protocols = page.locator("table.heatmap tbody tr", has_text="Shared protocols")
    risk_r1 = protocols.locator("td").nth(3)  # B1, B2, B3, then R1
    assert "Consensus, low end" in risk_r1.inner_text()

    page.goto(f"{base}divided/")
    row = page.locator("table.divided tbody tr").first
    text = row.inner_text()
    assert evaluations in text
    assert "United States: highest third" in text
    assert "Europe: lowest third" in text
    medians = [float(cell) for cell in row.locator("td.number").all_inner_texts()[:4]]
    assert max(medians) - min(medians) >= 5
    assert console_log.errors == []
