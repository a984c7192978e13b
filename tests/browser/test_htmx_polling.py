"""The pages that follow background work poll with htmx, in a real browser under the app's CSP.

- The dashboard of an open round re-fetches its results section every few seconds; when the round
  closes, the next poll gets the final numbers (286) and no poll follows.
- The export page polls a job that is not finished yet; once it is done the page reloads by itself
  and shows the download link.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings

from elicitation.models import Round, Study
from exports.models import ExportJob
from exports.services import export_job_create
from tests.conftest import client_for
from tests.factories import make_experts, make_round, make_study, make_user, rate_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page: Any, live_server: Any, user: Any) -> None:
    cookie = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def polls_of(page: Any, fragment: str) -> list[int]:
    """The status of every request the page sends to a URL containing ``fragment``, as they are answered."""
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status) if fragment in response.url else None)
    return statuses


def test_the_live_dashboard_polls_while_the_round_is_open_and_stops_once_it_closed(
    browser_page, console_log, live_server, settings
):
    settings.DASHBOARD_MIN_POLL_SECONDS = 1
    coordinator = make_user()
    study = make_study(coordinator=coordinator, aggregation_interval_seconds=1)
    make_experts(study, 6)
    round_ = make_round(study, status=Round.Status.OPEN)
    rate_everything(round_, [7, 8, 6])
    page = browser_page
    signed_in(page, live_server, coordinator)
    polls = polls_of(page, "partial=1")

    page.goto(f"{live_server.url}/studies/{study.uuid}/dashboard/")
    assert page.locator("#live-results[hx-get]").count() == 1
    page.wait_for_function("() => window.htmx !== undefined")
    deadline = time.monotonic() + 20
    while len(polls) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert polls[:2] == [200, 200], "htmx polls the open round's results"

    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CLOSED)
    deadline = time.monotonic() + 20
    while 286 not in polls and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert polls[-1] == 286, "the closed round's fragment tells htmx to stop"
    stopped_at = len(polls)
    page.wait_for_timeout(3500)  # more than three poll intervals
    assert len(polls) == stopped_at, "no poll after the stop"
    assert page.locator("#results-status[data-round-open]").count() == 0  # the final fragment was swapped in
    assert console_log.errors == []


def test_the_export_page_polls_an_unfinished_job_and_shows_its_link_when_done(browser_page, console_log, live_server):
    coordinator = make_user()
    study: Study = make_study(coordinator=coordinator)
    make_experts(study, 3)
    rate_everything(make_round(study, status=Round.Status.CLOSED), [4, 6])
    job = export_job_create(user=coordinator, study=study, fmt="csv", table="ratings")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.QUEUED)  # as if the worker had not begun
    page = browser_page
    signed_in(page, live_server, coordinator)
    polls = polls_of(page, f"/jobs/{job.uuid}/status/")

    page.goto(f"{live_server.url}/studies/{study.uuid}/exports/")
    assert page.locator(f"#export-job-{job.uuid} progress").count() == 1
    deadline = time.monotonic() + 20
    while not polls and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert polls[:1] == [200], "htmx polls the job"
    assert page.locator(f"#export-job-{job.uuid} progress").count() == 1  # swapped for its fresh copy

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE, file_size=10)
    link = page.locator(f"a[href='/studies/{study.uuid}/exports/jobs/{job.uuid}/']")
    link.wait_for(timeout=20_000)  # HX-Refresh: the page reloaded by itself
    assert page.locator("[hx-get]").count() == 0
    assert console_log.errors == []
