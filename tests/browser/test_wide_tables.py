"""Tables fit their page on a common laptop screen (1366 px): nothing clipped behind a scroll bar."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from elicitation.services.studies import study_create
from tests.factories import make_experts, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIPPED = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.querySelector('caption') || box).textContent.trim().slice(0, 60))"""


def test_the_sector_table_is_not_clipped_at_1366_px(browser, live_server):
    """Issue 20: the bloc-by-sector table was clipped at 1366 px."""
    coordinator = make_user("wide")
    study = study_create(user=coordinator, title="Template study", template_key="ai_safety_cooperation")
    make_experts(study, 24)  # every bloc in every sector
    client = Client()
    client.force_login(coordinator)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page = context.new_page()
    for path in (f"/studies/{study.uuid}/", f"/studies/{study.uuid}/panel/"):
        page.goto(live_server.url + path)
        assert page.evaluate(CLIPPED) == [], path
    context.close()
