"""Tables fit their page on a common laptop screen (1366 px): nothing clipped behind a scroll bar.

The demo study is the data: every bloc in every sector, two rounds of results.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from elicitation.demo import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIPPED = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.querySelector('caption') || box).textContent.trim().slice(0, 60)
    + ` (${box.scrollWidth} > ${box.clientWidth})`)"""


def test_the_sector_table_is_not_clipped_at_1366_px(browser, live_server):
    """Issue 20: the bloc-by-sector table was clipped at 1366 px."""
    demo = load_demo()  # every bloc in every sector, two rounds of results
    study, coordinator = demo.study, demo.study.coordinators.get()
    client = Client()
    client.force_login(coordinator)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page = context.new_page()
    base = f"/studies/{study.uuid}/"
    for path in (base, base + "panel/", base + "dashboard/", base + "dashboard/report/", base + "dashboard/divided/"):
        page.goto(live_server.url + path)
        assert page.evaluate(CLIPPED) == [], path
    context.close()
