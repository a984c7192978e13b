import pytest
from tests.aggregation.dashboard.test_browser import dashboard, _url  # noqa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shots(dashboard):
    page, base = dashboard
    for name in ["overview", "map", "consensus", "convergence", "divided", "report"]:
        page.goto(_url(base, name))
        page.screenshot(path=f"/tmp/dashdump/{name}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(_url(base, "consensus"))
    page.screenshot(path="/tmp/dashdump/mobile-consensus.png", full_page=False)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto(_url(base, "report"))
    page.screenshot(path="/tmp/dashdump/print-report.png", full_page=True)
