"""Shared fixtures: a cast of users, and the real services (PostgreSQL, Redis, a Celery worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client
    from rest_framework.test import APIClient

    from elicitation.models import Expert, Study
from tests.browser_support import browser, browser_page, console_log  # noqa: F401 - fixtures
from tests.services import celery_worker_process, redis_client  # noqa: F401 - fixtures

REQUIRE_SERVICES = os.environ.get("COOPSURVEY_REQUIRE_SERVICES") == "1"
SERVICE_MARKERS = {"services", "browser"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """In CI a skipped service or browser test is a failure: a missing service must not pass silently."""
    outcome = yield
    report = outcome.get_result()
    markers = {m.name for m in item.iter_markers()}
    if REQUIRE_SERVICES and report.skipped and SERVICE_MARKERS & markers and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"COOPSURVEY_REQUIRE_SERVICES=1 and this test was skipped: {reason}"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.conf import settings

    if not settings.configured:  # the pure metrics tests also run with `-p no:django`
        return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test leaves the default language behind: a request in Chinese (Accept-Language, the language
    cookie) activates it in the thread through LocaleMiddleware, which no one deactivates, so the next test
    in the same process read Chinese messages (and failed, in an order pytest-randomly may pick)."""
    yield
    from django.conf import settings

    if settings.configured:
        from django.utils import translation

        translation.deactivate()


@pytest.fixture
def eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in the test's process (``apply_async`` runs the task at once), unless the test starts a real worker.

    The one switch for in-process tasks: a package's conftest makes it automatic with a fixture that uses it.
    """
    from coopsurvey.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


# Clients: the one way to be signed in as someone in a test.
def client_for(user: User) -> Client:
    """A test client signed in as ``user`` (a coordinator, staff, an outsider), without the log-in form."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def invitation_client(expert: Expert, *, consented: bool = False) -> APIClient:
    """An API client that speaks as ``expert`` through a new invitation link (``Authorization: Invitation``);
    ``consented`` records the expert's consent first, as the welcome page does."""
    from django.utils import timezone
    from rest_framework.test import APIClient

    from elicitation.models import Expert
    from elicitation.setup.services.tokens import token_issue

    if consented:
        Expert.objects.filter(pk=expert.pk).update(consented_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
    return client


@pytest.fixture
def coordinator_client(client: Client, coordinator_a: User) -> Client:
    """The test's ``client``, signed in as study A's coordinator."""
    client.force_login(coordinator_a)
    return client


# The cast: two coordinators of two studies, experts of each, an outsider.
@pytest.fixture
def coordinator_a(db: None) -> User:
    from tests.factories import make_user

    return make_user("alice")


@pytest.fixture
def coordinator_b(db: None) -> User:
    from tests.factories import make_user

    return make_user("bob")


@pytest.fixture
def outsider(db: None) -> User:
    from tests.factories import make_user

    return make_user("mallory")


# Study A's analyst and observer (docs/roles.md): members with a lesser role.
@pytest.fixture
def analyst_a(study_a: Study) -> User:
    from tests.factories import add_member, make_user

    return add_member(study_a, make_user("anna"), "analyst")


@pytest.fixture
def observer_a(study_a: Study) -> User:
    from tests.factories import add_member, make_user

    return add_member(study_a, make_user("oscar"), "observer")


@pytest.fixture
def study_a(coordinator_a: User) -> Study:
    from tests.factories import make_experts, make_study

    study = make_study(coordinator=coordinator_a, title="Study A")
    make_experts(study, 8)
    return study


@pytest.fixture
def study_b(coordinator_b: User) -> Study:
    from tests.factories import make_experts, make_study

    study = make_study(coordinator=coordinator_b, title="Study B")
    make_experts(study, 6)
    return study
