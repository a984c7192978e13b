"""WCAG 2.2 A/AA audit (axe-core) of every coordinator page, in both languages (issue 20).

The pages are listed from the URL configuration: every route under the study list, ``studies/`` and
``accounts/``/``account/`` that a person browses to is audited here, or named in ``NOT_PAGES`` (shared
with the navigation test) with what it is instead. A new page without an entry fails the first test.
The audit fails on moderate violations too (tests/a11y/axe.py), not only serious and critical ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from api.services import api_token_create
from elicitation.models import AreaResponse, Round, StudyMember, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.a11y.axe import audit, describe
from tests.access.routes import all_routes
from tests.browser.test_navigation import NOT_PAGES
from tests.elicitation.dashboard.results import study_with_results
from tests.factories import add_member, make_experts, make_round, make_study, make_user, rate_everything
from tests.quantities.conftest import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Account pages that are not a coordinator's working pages: the public ones have their own audit
# (tests/a11y/test_public_pages.py) or are steps of a password reset by email.
NOT_COORDINATOR_PAGES = {
    "login": "public: tests/a11y/test_public_pages.py",
    "logout": "form action",
    "password_reset": "public, before signing in",
    "password_reset_done": "public, before signing in",
    "password_reset_confirm": "a one-time link from an email",
    "password_reset_complete": "public, before signing in",
    # Sign-in (allauth): audited in tests/a11y/test_signin_pages.py, or not a page.
    "account_login": "the log-in page under allauth's name: tests/a11y/test_signin_pages.py",
    "account_logout": "form action (the log-out under allauth's name)",
    "mfa_index": "tests/a11y/test_signin_pages.py",
    "mfa_activate_totp": "tests/a11y/test_signin_pages.py",
    "mfa_authenticate": "tests/a11y/test_signin_pages.py",
    "mfa_deactivate_totp": "tests/a11y/test_signin_pages.py",
    "mfa_reauthenticate": "tests/a11y/test_signin_pages.py",
    "mfa_view_recovery_codes": "tests/a11y/test_signin_pages.py",
    "mfa_generate_recovery_codes": "tests/a11y/test_signin_pages.py",
    "account_reauthenticate": "tests/a11y/test_signin_pages.py",
    "socialaccount_connections": "tests/a11y/test_signin_pages.py",
    "socialaccount_login_cancelled": "tests/a11y/test_signin_pages.py",
    "socialaccount_login_error": "tests/a11y/test_signin_pages.py",
    "mfa_download_recovery_codes": "a text file",
    "openid_connect_login": "form action: redirects to the institution",
    "openid_connect_callback": "the institution's redirect back: signs in and redirects",
    "socialaccount_signup": (
        "redirects to the log-in page unless an institution's first sign-in is pending "
        "(tests/core/test_institution_signin.py)"
    ),
    # Reuse and piloting: audited in tests/a11y/test_reuse_pages.py.
    "study-reuse": "tests/a11y/test_reuse_pages.py",
    "template-list": "tests/a11y/test_reuse_pages.py",
    "study-import": "tests/a11y/test_reuse_pages.py",
    "round-pilot": "tests/a11y/test_reuse_pages.py",
}


def coordinator_routes() -> set[str]:
    names = set()
    for route in all_routes():
        if route.pattern == "" or route.pattern.startswith(("studies/", "account/", "accounts/")):
            names.add(route.name)
    return names - set(NOT_PAGES) - set(NOT_COORDINATOR_PAGES)


@pytest.fixture
def world(live_server, browser_page) -> dict[str, Any]:
    """A study with two rounds of results (the second open), one being planned, and a signed-in coordinator."""
    coordinator = make_user("auditor")
    results = make_study(coordinator=coordinator, title="Results study")
    make_experts(results, 8)
    closed, open_round = study_with_results(results)
    expert = results.experts.earliest("number")
    area = results.areas.earliest("order")
    AreaResponse.objects.create(round=closed, expert=expert, area=area, rationale="Shared evaluations lower the risk.")
    question = make_question(results, "seed1", is_seed=True, lower_bound=0)
    planning = make_study(coordinator=coordinator, title="Planning study")
    make_experts(planning, 6)
    rate_everything(make_round(planning, status=Round.Status.CLOSED))
    draft = make_round(planning, status=Round.Status.DRAFT)
    add_member(results, make_user("reader"), StudyMember.Role.ANALYST)
    api_token_create(user=coordinator, name="laptop")
    endpoint = WebhookEndpoint.objects.create(
        study=results, url="https://hooks.example.org/in", secret="s", events=[WebhookEvent.ROUND_CLOSED]
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=closed.uuid,
        event=WebhookEvent.ROUND_CLOSED,
        payload={},
        status=WebhookDelivery.Status.FAILED,
        attempts=6,
        response_status=500,
        error="RuntimeError: the endpoint answered HTTP 500 (gave up after 6 attempts)",
    )
    client = Client()
    client.force_login(coordinator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    s = {"study_uuid": results.uuid}
    p = {"study_uuid": planning.uuid}
    urls = {
        "study-list": reverse("study-list"),
        "study-create": reverse("study-create"),
        "api-token-list": reverse("api-token-list"),
        "password_change": reverse("password_change"),
        "password_change_done": reverse("password_change_done"),
        "study-detail": reverse("study-detail", kwargs=s),
        "study-settings": reverse("study-settings", kwargs=s),
        "study-team": reverse("study-team", kwargs=s),
        "study-webhooks": reverse("study-webhooks", kwargs=s),
        "study-webhook-deliveries": reverse("study-webhook-deliveries", kwargs=s | {"endpoint_uuid": endpoint.uuid}),
        "study-rule": reverse("study-rule", kwargs=s),
        "study-items": reverse("study-items", kwargs=s),
        "study-items-import": reverse("study-items-import", kwargs=s),
        "study-translations": reverse("study-translations", kwargs=s),
        "area-create": reverse("area-create", kwargs=s),
        "area-edit": reverse("area-edit", kwargs=s | {"area_uuid": area.uuid}),
        "criterion-create": reverse("criterion-create", kwargs=s),
        "criterion-edit": reverse(
            "criterion-edit", kwargs=s | {"criterion_uuid": results.criteria.earliest("order").uuid}
        ),
        "study-panel": reverse("study-panel", kwargs=s),
        "study-panel-import": reverse("study-panel-import", kwargs=s),
        "expert-create": reverse("expert-create", kwargs=s),
        "expert-edit": reverse("expert-edit", kwargs=s | {"expert_uuid": expert.uuid}),
        "expert-erase": reverse("expert-erase", kwargs=s | {"expert_uuid": expert.uuid}),
        "round-list": reverse("round-list", kwargs=s),
        "round-detail": reverse("round-detail", kwargs=s | {"round_uuid": open_round.uuid}),
        "round-close": reverse("round-close", kwargs=s | {"round_uuid": open_round.uuid}),
        "round-preview": reverse("round-preview", kwargs=s | {"round_uuid": open_round.uuid}),
        "round-moderation": reverse("round-moderation", kwargs=s | {"round_uuid": closed.uuid}),
        "round-plan": reverse("round-plan", kwargs=p | {"round_uuid": draft.uuid}),
        "study-results-summary": reverse("study-results-summary", kwargs=p),  # round 1 closed: the study has ended
        "quantity-list": reverse("quantity-list", kwargs=s),
        "quantity-format": reverse("quantity-format", kwargs=s),
        "quantity-create": reverse("quantity-create", kwargs=s),
        "quantity-edit": reverse("quantity-edit", kwargs=s | {"question_uuid": question.uuid}),
        "quantity-import": reverse("quantity-import", kwargs=s),
        "quantity-results": reverse("quantity-results", kwargs=s | {"round_number": 1}),
        "export-page": reverse("export-page", kwargs=s),
        "dashboard:overview": reverse("dashboard:overview", kwargs=s),
        "dashboard:map": reverse("dashboard:map", kwargs=s),
        "dashboard:consensus": reverse("dashboard:consensus", kwargs=s),
        "dashboard:convergence": reverse("dashboard:convergence", kwargs=s),
        "dashboard:divided": reverse("dashboard:divided", kwargs=s),
        "dashboard:report": reverse("dashboard:report", kwargs=s),
    }
    return {"base": live_server.url, "urls": urls}


def test_every_coordinator_page_is_audited_or_named_as_not_a_page():
    from tests.a11y import test_coordinator_pages as me

    audited = set(me.AUDITED)
    missing = sorted(coordinator_routes() - audited)
    stale = sorted(audited - coordinator_routes())
    assert not missing, f"coordinator pages without an accessibility audit: {missing}"
    assert not stale, f"audited pages that are no longer routes: {stale}"


AUDITED = (
    "study-list", "study-create", "api-token-list", "password_change", "password_change_done", "study-detail",
    "study-settings", "study-team", "study-rule", "study-items", "study-items-import", "study-translations",
    "area-create", "area-edit", "criterion-create", "criterion-edit", "study-panel", "study-panel-import",
    "expert-create", "expert-edit", "expert-erase", "round-list", "round-detail", "round-close", "round-preview",
    "round-moderation", "round-plan", "quantity-list", "quantity-format", "quantity-create", "quantity-edit",
    "quantity-import", "quantity-results", "export-page", "dashboard:overview", "dashboard:map",
    "dashboard:consensus", "dashboard:convergence", "dashboard:divided", "dashboard:report",
    "study-webhooks", "study-webhook-deliveries", "study-results-summary",
)  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_coordinator_page_passes_the_audit_in_both_languages(world, browser_page, console_log, language):
    browser_page.context.add_cookies([{"name": "django_language", "value": language, "url": world["base"]}])
    assert set(world["urls"]) == set(AUDITED)
    found = []
    for name in AUDITED:
        response = browser_page.goto(world["base"] + world["urls"][name])
        assert response is not None, name
        assert response.status == 200, (name, response.status)
        assert browser_page.locator("html").get_attribute("lang") == language, name
        violations = audit(browser_page)
        if violations:
            found.append(f"{name}:\n{describe(violations)}")
    assert not found, "\n".join(found)
    assert [error for error in console_log.errors if "favicon" not in error] == []
