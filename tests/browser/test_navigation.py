"""A coordinator finds every page by clicking, from the study list, without knowing a URL.

The pages are listed from the URL conf: every named route under the study list, ``studies/`` and
``account/`` is either a page (reached here by clicking a link on an already reached page) or named
in ``NOT_PAGES`` with what it is instead. A new route that is neither fails the test. On each study
page the tab bar is there and no breadcrumb leads to the page itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from elicitation.models import AreaResponse, Round, WebhookEndpoint
from tests.factories import make_experts, make_round, make_study, make_user, rate_everything
from tests.quantities.conftest import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Routes that are not pages a person browses to, and what they are instead.
NOT_PAGES = {
    "study-member-role": "form action",
    "study-member-remove": "form action",
    "study-translation-confirm": "form action",
    "area-set-active": "form action",
    "criterion-set-active": "form action",
    "expert-set-active": "form action",
    "study-panel-example": "a CSV file",
    "round-create": "form action",
    "round-open": "form action",
    "round-deadline": "form action",
    "round-invite": "form action",
    "round-messages": "form action",
    "round-remind": "form action",
    "round-moderation-hide": "form action",
    "round-moderation-unhide": "form action",
    "round-moderation-translate": "form action",
    "round-area-reword": "form action",
    "round-area-add": "form action",
    "export-download": "a file",
    "export-job-new": "form action",
    "export-job-download": "a file",
    "export-job-status": "JSON, or the progress bar the export page polls with htmx",
    "api-token-revoke": "form action",
    "dashboard:chart-svg": "an image in the dashboard pages",
    "quantity-export": "a file",
    "quantity-results-csv": "a file",
    "quantity-realization": "form action",
    # Study reuse, scheduling and piloting (issue 20).
    "study-duplicate": "form action",
    "study-save-template": "form action",
    "study-definition": "a file (study.json)",
    "template-start": "form action",
    "template-delete": "form action",
    "round-schedule": "form action",
    "round-unschedule": "form action",
    "round-pilot-delete": "form action",
    # Linked from each round's page and its pilot data; shown exactly as experts see it, so without the
    # coordinator's tab bar: its banner leads back (tests/browser/test_preview_pilot.py).
    "round-try": "the expert's form as an expert sees it",
    # Webhooks (issue 20 item 9).
    "study-webhook-active": "form action",
    "study-webhook-delete": "form action",
    "study-webhook-redeliver": "form action",
}
# Pages outside the study tree a coordinator must find too.
EXTRA_PAGES = {"api-docs", "accessibility"}
# Pages whose links differ from one object to the next: every one of them is looked at.
EVERY_ONE = {"study-detail", "round-detail"}


def route_names(resolver: URLResolver, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """Every named route below ``resolver``: name (with namespace) → route."""
    names: dict[str, str] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names.update(route_names(entry, prefix + str(entry.pattern), space))
        elif isinstance(entry, URLPattern) and entry.name:
            names[namespace + entry.name] = prefix + str(entry.pattern)
    return names


def coordinator_pages() -> set[str]:
    routes = route_names(get_resolver())
    mine = {name for name, route in routes.items() if route == "" or route.startswith(("studies/", "account/"))}
    return (mine - set(NOT_PAGES)) | EXTRA_PAGES


def link_name(path: str) -> str:
    match = resolve(path)
    return match.view_name


def test_every_coordinator_page_is_reached_by_clicking_from_the_study_list(browser_page, live_server):
    coordinator = make_user("navigator")
    # One study in planning (round 1 closed, round 2 a draft), one with its round open.
    planning = make_study(coordinator=coordinator, title="Planning study", blocs=["North", "South"])
    experts = make_experts(planning, 6)
    first = make_round(planning, status=Round.Status.CLOSED)
    rate_everything(first)
    area = planning.areas.earliest("order")
    AreaResponse.objects.create(round=first, expert=experts[0], area=area, rationale="Because.")
    make_round(planning, status=Round.Status.DRAFT)
    make_question(planning, "q1")  # in both studies, so a question's own page has a link to follow
    WebhookEndpoint.objects.create(study=planning, url="https://hooks.example.org/in", secret="s", events=["x"])
    running = make_study(coordinator=coordinator, title="Running study")
    make_experts(running, 4)
    make_round(running, status=Round.Status.OPEN)
    make_question(running, "q1")
    WebhookEndpoint.objects.create(study=running, url="https://hooks.example.org/in", secret="s", events=["x"])

    client = Client()
    client.force_login(coordinator)
    page = browser_page
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    wanted = coordinator_pages()
    reached: dict[str, str] = {}  # route name → the first path it was reached at
    queue = ["/"]
    crawled = {"/"}
    page.goto(live_server.url + "/")
    reached[link_name("/")] = "/"
    problems: list[str] = []
    while queue:
        path = queue.pop(0)
        page.goto(live_server.url + path)
        problems += page_problems(page, path)
        for href in page_links(page):
            target = urlsplit(href)
            if target.netloc and target.netloc != urlsplit(live_server.url).netloc:
                continue
            try:
                name = link_name(target.path)
            except Exception:  # noqa: BLE001 - a link to no route is itself a finding
                problems.append(f"{path}: a link to nowhere: {href}")
                continue
            if name not in wanted:
                continue
            if name in reached:  # each study and round has pages of its own (a closed round: its plan)
                if name in EVERY_ONE and target.path not in crawled:
                    crawled.add(target.path)
                    queue.append(target.path)
                continue
            page.locator(f'a[href="{href_attribute(page, href)}"]').first.click()
            page.wait_for_load_state()
            assert urlsplit(page.url).path == target.path, f"clicking {href} on {path} went to {page.url}"
            reached[name] = target.path
            if name != "api-docs" and target.path not in crawled:
                crawled.add(target.path)
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
            page.goto(live_server.url + path)
    assert problems == []
    assert sorted(wanted - set(reached)) == []


def page_links(page: Any) -> list[str]:
    """The absolute URLs of the page's links, in document order, without fragments."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href.split('#')[0])")
    return list(dict.fromkeys(hrefs))


def href_attribute(page: Any, absolute: str) -> str:
    """The link's href as written in the page (the locator matches the attribute, not the URL)."""
    return page.evaluate(
        "url => [...document.querySelectorAll('a[href]')].find(a => a.href.split('#')[0] === url).getAttribute('href')",
        absolute,
    )


def page_problems(page: Any, path: str) -> list[str]:
    """A study's page without its tab bar, or with a breadcrumb leading to itself."""
    problems = []
    match = resolve(urlsplit(path).path)
    if "study_uuid" in match.kwargs:
        if page.locator("nav.study-nav").count() != 1:
            problems.append(f"{path}: no study tab bar")
        if page.locator("nav.breadcrumbs").count() != 1:
            problems.append(f"{path}: no breadcrumbs")
    crumbs = page.eval_on_selector_all("nav.breadcrumbs a", "links => links.map(a => new URL(a.href).pathname)")
    if urlsplit(path).path in crumbs:
        problems.append(f"{path}: a breadcrumb leads to the page itself")
    return problems
