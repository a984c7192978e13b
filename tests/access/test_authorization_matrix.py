"""The authorisation matrix: every route × every kind of visitor, generated from the URL configuration.

Each route must have an entry in ``EXPECTED`` (a new route without one fails the first test), and
each entry says what every visitor gets when asking for study A's objects: the page ("ok"), a
redirect to the login ("login"), "404" (another study's objects never exist for you), or "405".
POST requests by visitors who may not act are refused the same way and change nothing.

Study A has a coordinator, an analyst and an observer (docs/roles.md): the analyst reaches the
dashboards, results and exports; the observer the dashboards only; for every other page of study A
they are outsiders (404).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from elicitation.models import AuditEvent, Rating, Round, Study, StudyMember
from tests.access.routes import Route, all_routes, route_values, unnamed_route_url
from tests.factories import make_round, make_user

ROLES = ("anonymous", "expert_a", "expert_b", "coordinator_a", "analyst_a", "observer_a", "coordinator_b", "staff")

USERS = ("coordinator_a", "analyst_a", "observer_a", "coordinator_b", "staff")
LESSER_ROLES = ("analyst_a", "observer_a")
PUBLIC = dict.fromkeys(ROLES, "ok")
COORDINATOR_PAGE = {
    "anonymous": "login",
    "expert_a": "login",
    "expert_b": "login",
    "coordinator_a": "ok",
    "analyst_a": "404",
    "observer_a": "404",
    "coordinator_b": "404",
    "staff": "404",
}
RESULTS_PAGE = COORDINATOR_PAGE | {"analyst_a": "ok"}  # results and exports: analysts too
DASHBOARD_PAGE = RESULTS_PAGE | {"observer_a": "ok"}  # the dashboards: every role
# POST-only: a GET is refused with 405 before any lookup, for every logged-in user alike, so it
# tells nothing about whether the object exists.
COORDINATOR_ACTION = COORDINATOR_PAGE | dict.fromkeys(USERS, "405")
LOGGED_IN_PAGE = {"anonymous": "login", "expert_a": "login", "expert_b": "login"} | dict.fromkeys(USERS, "ok")
SKIP = None  # checked by its own tests (a one-time secret in the URL)
# An expert's pages: only with an expert's link session, and only for that expert's own study.
NO_SESSION = "403"  # the same page whatever is asked for: nothing tells a stranger what exists
EXPERT_PAGE = dict.fromkeys(ROLES, NO_SESSION) | {"expert_a": "ok", "expert_b": "ok"}
EXPERT_ACTION = dict.fromkeys(ROLES, "405")  # POST-only; refused before any lookup
# The REST API: coordinators by session or token; no one else is authenticated (401). Lists answer
# everyone logged in but hold only their own studies' objects (checked below); details 404.
API_LIST = dict.fromkeys(ROLES, "401") | dict.fromkeys(USERS, "ok")
API_DETAIL = API_LIST | {"coordinator_b": "404", "staff": "404", "analyst_a": "404", "observer_a": "404"}
API_RESULTS = API_DETAIL | {"analyst_a": "ok"}  # what analysts read through the API; observers read nothing
ANY_ACTION = dict.fromkeys(ROLES, "405")
# API write operations (POST-only): a GET is 401 without credentials, else 405 before any lookup.
API_ACTION = dict.fromkeys(ROLES, "401") | dict.fromkeys(USERS, "405")
# The expert's own answers: only an expert's link session or invitation token; coordinators are strangers.
API_EXPERT = dict.fromkeys(ROLES, "401") | {"expert_a": "ok", "expert_b": "ok"}
API_EXPERT_ACTION = dict.fromkeys(ROLES, "401") | {"expert_a": "405", "expert_b": "405"}  # POST-only

# Django's admin: staff only (everyone else is sent to the admin's log-in). The staff member here has
# no model permissions: the pages say so (403) or that nothing is there (404), the index answers.
ADMIN_PAGE = dict.fromkeys(ROLES, "login") | {"staff": "ok"}
ADMIN_NO_PERMISSION = dict.fromkeys(ROLES, "login") | {"staff": "403"}
ADMIN_NOT_FOUND = dict.fromkeys(ROLES, "login") | {"staff": "404"}

EXPECTED: dict[str, dict[str, str] | None] = {
    "healthz": dict.fromkeys(ROLES, "ok|503"),  # public; 503 names what is down (no worker here)
    "livez": PUBLIC,
    "accessibility": PUBLIC,
    "login": PUBLIC,
    "logout": dict.fromkeys(ROLES, "405"),
    # Sign-in through django-allauth (core/accounts.py; behaviour in tests/core/).
    "account_login": PUBLIC,  # the log-in page under allauth's name
    "account_logout": dict.fromkeys(ROLES, "405"),
    "account_reauthenticate": LOGGED_IN_PAGE,
    "mfa_index": LOGGED_IN_PAGE,
    # Only during a log-in waiting for its code; one who is signed in already is sent on.
    "mfa_authenticate": dict.fromkeys(ROLES, "login") | dict.fromkeys(USERS, "ok"),
    "mfa_reauthenticate": LOGGED_IN_PAGE,
    "mfa_activate_totp": LOGGED_IN_PAGE,
    # One's own authenticator only; these users have none, so there is nothing (404).
    "mfa_deactivate_totp": LOGGED_IN_PAGE | dict.fromkeys(USERS, "404"),
    "mfa_view_recovery_codes": LOGGED_IN_PAGE | dict.fromkeys(USERS, "404"),
    "mfa_generate_recovery_codes": LOGGED_IN_PAGE,
    "mfa_download_recovery_codes": LOGGED_IN_PAGE | dict.fromkeys(USERS, "404"),
    "openid_connect_login": dict.fromkeys(ROLES, "404"),  # no provider named "uni" here
    "openid_connect_callback": dict.fromkeys(ROLES, "404"),
    "socialaccount_login_cancelled": PUBLIC,
    "socialaccount_login_error": PUBLIC,
    "socialaccount_signup": dict.fromkeys(ROLES, "login"),  # only during an institutional sign-in
    "socialaccount_connections": LOGGED_IN_PAGE,
    "set_language": PUBLIC,
    "password_change": LOGGED_IN_PAGE,
    "password_change_done": LOGGED_IN_PAGE,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": SKIP,
    "password_reset_complete": PUBLIC,
    "study-list": LOGGED_IN_PAGE,
    "study-create": LOGGED_IN_PAGE,
    "study-detail": COORDINATOR_PAGE,
    "study-settings": COORDINATOR_PAGE,
    "study-team": COORDINATOR_PAGE,
    "study-member-role": COORDINATOR_ACTION,
    "study-member-remove": COORDINATOR_ACTION,
    # Webhooks (issue 20 item 9): the study's coordinators only.
    "study-webhooks": COORDINATOR_PAGE,
    "study-webhook-deliveries": COORDINATOR_PAGE,
    "study-webhook-active": COORDINATOR_ACTION,
    "study-webhook-delete": COORDINATOR_ACTION,
    "study-webhook-redeliver": COORDINATOR_ACTION,
    "study-rule": COORDINATOR_PAGE,
    "study-items": COORDINATOR_PAGE,
    "study-translations": COORDINATOR_PAGE,
    "study-translation-confirm": COORDINATOR_ACTION,
    "study-items-import": COORDINATOR_PAGE,
    # Study reuse (issue 20): a template is its owner's alone, like a study its coordinators'.
    "study-import": LOGGED_IN_PAGE,
    "template-list": LOGGED_IN_PAGE,  # only the user's own templates (tests/elicitation/setup/test_reuse_views.py)
    "template-start": COORDINATOR_ACTION,
    "template-delete": COORDINATOR_ACTION,
    "study-reuse": COORDINATOR_PAGE,
    "study-duplicate": COORDINATOR_ACTION,
    "study-save-template": COORDINATOR_ACTION,
    "study-definition": COORDINATOR_PAGE,
    "area-create": COORDINATOR_PAGE,
    "area-edit": COORDINATOR_PAGE,
    "area-set-active": COORDINATOR_ACTION,
    "criterion-create": COORDINATOR_PAGE,
    "criterion-edit": COORDINATOR_PAGE,
    "criterion-set-active": COORDINATOR_ACTION,
    "study-panel": COORDINATOR_PAGE,
    "expert-create": COORDINATOR_PAGE,
    "study-panel-import": COORDINATOR_PAGE,
    "study-panel-example": COORDINATOR_PAGE,
    "expert-edit": COORDINATOR_PAGE,
    "expert-set-active": COORDINATOR_ACTION,
    "expert-erase": COORDINATOR_PAGE,  # GET asks to confirm by typing the pseudonym
    "round-list": COORDINATOR_PAGE,
    "round-create": COORDINATOR_ACTION,
    "round-detail": COORDINATOR_PAGE,
    "round-open": COORDINATOR_ACTION,
    "round-close": COORDINATOR_PAGE,  # GET asks to confirm
    "round-deadline": COORDINATOR_ACTION,
    "round-invite": COORDINATOR_ACTION,
    "round-messages": COORDINATOR_ACTION,
    "round-preview": COORDINATOR_PAGE,
    "round-remind": COORDINATOR_ACTION,
    # Scheduling and piloting (issue 20).
    "round-schedule": COORDINATOR_ACTION,
    "round-unschedule": COORDINATOR_ACTION,
    "round-try": COORDINATOR_PAGE,  # the expert's form as the coordinator tries it
    "study-results-summary": COORDINATOR_PAGE,  # preview (GET) and send (POST) the summary at the study's end
    "round-pilot": COORDINATOR_PAGE,
    "round-pilot-delete": COORDINATOR_ACTION,
    "round-plan": COORDINATOR_PAGE | {"coordinator_a": "409"},  # planning starts from a closed round
    "round-moderation": COORDINATOR_PAGE,
    "round-moderation-hide": COORDINATOR_ACTION,
    "round-moderation-unhide": COORDINATOR_ACTION,
    "round-moderation-translate": COORDINATOR_ACTION,
    "round-area-reword": COORDINATOR_ACTION,
    "round-area-add": COORDINATOR_ACTION,
    "expert-link": SKIP,
    "expert-link-request": PUBLIC,  # the same answer for every address (tests/elicitation/expert/test_link_request.py)
    "expert-start": EXPERT_PAGE,
    "expert-consent": EXPERT_ACTION,
    "expert-language": EXPERT_ACTION,
    "expert-round": EXPERT_PAGE,
    "expert-thanks": EXPERT_PAGE,
    "expert-summary": EXPERT_PAGE,  # the results summary the expert was e-mailed (else back to the form)
    "expert-round-post": EXPERT_ACTION,
    "expert-autosave": EXPERT_ACTION,
    "expert-suggest": EXPERT_ACTION,
    # Quantity questions (issue 19).
    "quantity-list": COORDINATOR_PAGE,
    "quantity-format": COORDINATOR_PAGE,
    "quantity-create": COORDINATOR_PAGE,
    "quantity-edit": COORDINATOR_PAGE,
    "quantity-realization": COORDINATOR_ACTION,
    "expert-quantity-save": EXPERT_ACTION,
    "expert-quantity-dissent": EXPERT_ACTION,
    "quantity-import": COORDINATOR_PAGE,
    "quantity-export": RESULTS_PAGE,
    "quantity-results": RESULTS_PAGE,
    "quantity-results-csv": RESULTS_PAGE,
    "api-token-list": LOGGED_IN_PAGE,
    "api-token-revoke": ANY_ACTION,
    "api-docs": PUBLIC,
    "api-schema": PUBLIC,
    "api-v1:study-list": API_LIST,
    "api-v1:study-detail": API_RESULTS,
    "api-v1:study-table": API_RESULTS,
    "api-v1:area-list": API_LIST,
    "api-v1:area-detail": API_RESULTS,
    "api-v1:criterion-list": API_LIST,
    "api-v1:criterion-detail": API_RESULTS,
    "api-v1:expert-list": API_LIST,
    "api-v1:expert-detail": API_DETAIL,  # names and addresses: coordinators only
    "api-v1:round-list": API_LIST,
    "api-v1:round-detail": API_RESULTS,
    "api-v1:participation-list": API_LIST,
    "api-v1:export-list": API_LIST,
    "api-v1:export-detail": API_RESULTS,
    "api-v1:export-download": API_RESULTS | {"coordinator_a": "409", "analyst_a": "409"},  # not run yet
    # REST API write operations (issue 6).
    "api-v1:round-open": API_ACTION,
    "api-v1:round-close": API_ACTION,
    "api-v1:study-experts-import": API_ACTION,
    # Issue 20: every step of a study (POST on the lists above creates, PATCH on their objects edits).
    "api-v1:study-rule": API_ACTION,  # PUT-only
    "api-v1:round-plan-next": API_ACTION,
    "api-v1:round-invitations": API_ACTION,
    "api-v1:round-reminders": API_ACTION,
    "api-v1:email-job-detail": API_DETAIL,
    "api-v1:study-results-summary": API_DETAIL,  # GET previews; POST (confirmed) sends
    "api-v1:token-list": API_LIST,  # the caller's own tokens only (tests/api/test_tokens_api.py)
    "api-v1:token-revoke": API_ACTION,
    # Study reuse, scheduling and pilot runs (issue 20): a study's own coordinators; templates their owner's.
    "api-v1:study-import": API_ACTION,  # POST-only; anyone signed in may start a study (CREATES_OWN)
    "api-v1:study-duplicate": API_ACTION,
    "api-v1:study-save-template": API_ACTION,
    "api-v1:study-definition": API_DETAIL,
    "api-v1:template-list": API_LIST,  # the caller's own templates only (tests/api/test_reuse_api.py)
    "api-v1:template-detail": API_DETAIL,  # the owner's; study A's analyst and observer do not own it
    "api-v1:template-start": API_ACTION,
    "api-v1:round-schedule": API_ACTION,  # PUT and DELETE
    "api-v1:round-pilot-runs": API_DETAIL,
    "api-v1:pilot-run-detail": API_DETAIL,
    # Between rounds (issue 20 item 10): the moderation, planning, round and panel pages' steps; coordinators only.
    "api-v1:study-add-area": API_ACTION,
    "api-v1:study-suggestions": API_DETAIL,
    "api-v1:area-reword": API_ACTION,
    "api-v1:expert-erase": API_ACTION,
    "api-v1:round-rationales": API_DETAIL,
    "api-v1:rationale-hide": API_ACTION,
    "api-v1:rationale-unhide": API_ACTION,
    "api-v1:rationale-translation": API_ACTION,  # PUT-only
    "api-v1:round-messages": API_DETAIL,  # GET, and PUT to set them
    "api-v1:round-email-preview": API_DETAIL,
    "api-v1:round-deadline": API_ACTION,
    "api-v1:me-suggestions": API_EXPERT_ACTION,
    "api-v1:me-reasons": API_EXPERT,
    "api-v1:me-consent": API_EXPERT,
    "api-v1:me-submit": API_EXPERT_ACTION,
    "api-v1:me-ratings": API_EXPERT,
    "api-v1:aggregate-list": API_LIST,
    "api-v1:divide-list": API_LIST,
    "api-v1:verdict-list": API_LIST,
    "export-page": RESULTS_PAGE,
    "export-download": RESULTS_PAGE | {"coordinator_a": "400", "analyst_a": "400"},  # no table or format asked for
    "export-job-new": ANY_ACTION,
    "export-job-download": RESULTS_PAGE,
    "export-job-status": RESULTS_PAGE,
    # Coordinator dashboard (read-only; issue 6), for every role of the study (issue 20).
    "dashboard:overview": DASHBOARD_PAGE,
    "dashboard:map": DASHBOARD_PAGE,
    "dashboard:consensus": DASHBOARD_PAGE,
    "dashboard:convergence": DASHBOARD_PAGE,
    "dashboard:divided": DASHBOARD_PAGE,
    "dashboard:report": DASHBOARD_PAGE,
    "dashboard:chart-svg": DASHBOARD_PAGE,
    # Django's admin (its log-in and password pages are ours, limited and audited: core/accounts.py).
    "admin-login": PUBLIC,
    "admin:login": PUBLIC,  # the same URL as admin-login, which answers it
    "admin:logout": dict.fromkeys(ROLES, "ok") | {"staff": "405"},  # non-staff are sent to the admin's index
    "admin-password-change": ADMIN_PAGE,
    "admin:password_change": ADMIN_PAGE,  # the same URL as admin-password-change
    "admin:password_change_done": ADMIN_PAGE,
    "admin:index": ADMIN_PAGE,
    "admin:jsi18n": ADMIN_PAGE,
    "admin:app_list": ADMIN_NOT_FOUND,  # no model of the app is visible to this staff member
    "admin:autocomplete": ADMIN_NO_PERMISSION,
    "admin:view_on_site": ADMIN_NOT_FOUND,  # users have no page on the site
    "unnamed admin/(?P<url>.*)$": ADMIN_NOT_FOUND,
    "admin:auth_user_changelist": ADMIN_NO_PERMISSION,
    "admin:auth_user_add": ADMIN_NO_PERMISSION,
    "admin:auth_user_change": ADMIN_NO_PERMISSION,
    "admin:auth_user_delete": ADMIN_NO_PERMISSION,
    "admin:auth_user_history": ADMIN_NO_PERMISSION,
    "admin:auth_user_password_change": ADMIN_NO_PERMISSION,
    "unnamed admin/auth/user/<path:object_id>/": ADMIN_PAGE,  # a redirect to the change page, refused there
    "admin:auth_group_changelist": ADMIN_NO_PERMISSION,
    "admin:auth_group_add": ADMIN_NO_PERMISSION,
    "admin:auth_group_change": ADMIN_NO_PERMISSION,
    "admin:auth_group_delete": ADMIN_NO_PERMISSION,
    "admin:auth_group_history": ADMIN_PAGE,  # no such group: a redirect to the index saying so
    "unnamed admin/auth/group/<path:object_id>/": ADMIN_PAGE,
}


def _operator_admin() -> dict[str, dict[str, str]]:
    """The operator's admin's models (with permissions: tests/access/test_admin_access.py). This staff
    member has none: refused; a history page or short URL whose id names no row redirects instead."""
    from tests.admin_support import ADMIN_MODELS

    entries: dict[str, dict[str, str]] = {}
    for label in ADMIN_MODELS:
        name = "admin:" + label.replace(".", "_")
        entries |= {f"{name}_{view}": ADMIN_NO_PERMISSION for view in ("changelist", "add", "change", "delete")}
        entries[f"{name}_history"] = ADMIN_NO_PERMISSION | {"staff": "403|ok"}  # the id is the user's
        entries[f"unnamed admin/{label.replace('.', '/')}/<path:object_id>/"] = ADMIN_PAGE
    return entries


EXPECTED |= _operator_admin()


def test_every_route_has_an_entry_in_the_matrix():
    names = {route.name for route in all_routes()}
    missing = sorted(names - set(EXPECTED))
    stale = sorted(set(EXPECTED) - names)
    assert not missing, f"routes without an authorisation entry: {missing}"
    assert not stale, f"entries for routes that no longer exist: {stale}"


@pytest.fixture
def world(study_a: Study, study_b: Study, coordinator_a, coordinator_b, analyst_a, observer_a) -> dict[str, Any]:
    """Study A's objects to put in URLs, and a logged-in client per role."""
    round_a = make_round(study_a, status=Round.Status.OPEN)
    expert_a = study_a.experts.earliest("number")
    expert_b = study_b.experts.earliest("number")
    make_round(study_b, status=Round.Status.OPEN)
    staff = make_user("staffer", is_staff=True)
    clients = {role: Client() for role in ROLES}
    clients["coordinator_a"].force_login(coordinator_a)
    clients["coordinator_b"].force_login(coordinator_b)
    clients["analyst_a"].force_login(analyst_a)
    clients["observer_a"].force_login(observer_a)
    clients["staff"].force_login(staff)
    for role, expert in (("expert_a", expert_a), ("expert_b", expert_b)):
        log_in_expert(clients[role], expert)
    filled = route_values(study=study_a, round_=round_a, expert=expert_a, coordinator=coordinator_a)
    values, per_route = filled.values, filled.per_route
    return {"clients": clients, "values": values, "per_route": per_route, "study": study_a}


def log_in_expert(client: Client, expert: Any) -> None:
    """An expert's session, the way an expert gets one: by opening their personal link."""
    from elicitation.setup.services.tokens import token_issue

    routes = {route.name for route in all_routes()}
    if "expert-link" in routes:
        response = client.get(reverse("expert-link", kwargs={"token": token_issue(expert=expert)}))
        assert response.status_code == 302


def url_for(route: Route, world: dict[str, Any]) -> str:
    values = dict(world["values"])
    if route.name in world["per_route"]:
        values["uuid"] = world["per_route"][route.name]
    unknown = [name for name in route.kwargs if name not in values]
    assert not unknown, f"{route.name}: add a value for {unknown} to the world fixture"
    if route.name.startswith("unnamed "):
        return unnamed_route_url(route, values)
    return reverse(route.name, kwargs={name: values[name] for name in route.kwargs})


def outcome(response: Any) -> str:
    status = response.status_code
    if status in (301, 302) and response.get("Location", "").startswith(("/accounts/login/", "/admin/login/")):
        return "login"
    if status in (200, 204, 301, 302, 303):
        return "ok"
    return str(status)


@pytest.mark.django_db
def test_every_route_answers_every_visitor_as_the_matrix_says(world):
    wrong = []
    for route in all_routes():
        expected = EXPECTED.get(route.name)
        if expected is None:
            continue
        url = url_for(route, world)
        for role in ROLES:
            got = outcome(world["clients"][role].get(url))
            if got not in expected[role].split("|"):
                wrong.append(f"GET {url} as {role}: expected {expected[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


# What an analyst may do by POST: queue an export (page or API). Nothing else changes for a lesser role.
LESSER_MAY_POST = {"analyst_a": {"export-job-new", "api-v1:export-list"}, "observer_a": set()}
# Routes whose POST creates something of the caller's own, open to everyone signed in (as a study list's POST).
CREATES_OWN = {"api-v1:study-import": "a new study from a definition, coordinated by the caller"}


@pytest.mark.django_db
def test_visitors_who_may_not_act_change_nothing_by_posting(world):
    """Every coordinator route refuses a POST from anyone but study A's coordinators, writing nothing;
    study A's analyst and observer too, everywhere but where their role may act (``LESSER_MAY_POST``).

    405 counts as refused: a read-only page rejects every POST before looking anything up.
    """
    before = (Study.objects.count(), Rating.objects.count(), AuditEvent.objects.count(), StudyMember.objects.count())
    snapshot = dict(Study.objects.filter(pk=world["study"].pk).values().get())
    wrong = []
    for route in all_routes():
        expected = EXPECTED.get(route.name)
        if expected is None or expected["coordinator_b"] not in ("404", "405") or route.name in CREATES_OWN:
            continue
        url = url_for(route, world)
        lesser = [role for role in LESSER_ROLES if route.name not in LESSER_MAY_POST[role]]
        for role in ("anonymous", "expert_a", "expert_b", "coordinator_b", "staff", *lesser):
            got = outcome(world["clients"][role].post(url, {"title": "pwned", "is_active": "0", "username": "mallory"}))
            if got not in ("login", "401", "403", "404", "405"):
                wrong.append(f"POST {url} as {role}: got {got}")
    assert not wrong, "\n".join(wrong)
    assert (
        Study.objects.count(),
        Rating.objects.count(),
        AuditEvent.objects.count(),
        StudyMember.objects.count(),
    ) == before
    assert dict(Study.objects.filter(pk=world["study"].pk).values().get()) == snapshot


LISTS_WITHOUT_STUDY_A = (
    "export-list", "participation-list", "aggregate-list", "divide-list", "verdict-list", "token-list", "template-list"
)  # fmt: skip


@pytest.mark.django_db
def test_api_lists_hold_nothing_of_another_coordinators_study(world):
    """Lists answer everyone logged in, but study A's objects appear only to study A's coordinators."""
    secrets = [str(world["values"][key]) for key in ("study_uuid", "area_uuid", "criterion_uuid", "expert_uuid")]
    for route in all_routes():
        if EXPECTED.get(route.name) is not API_LIST:
            continue
        url = url_for(route, world)
        own = world["clients"]["coordinator_a"].get(url).content.decode()
        assert any(secret in own for secret in secrets) or route.name.endswith(
            LISTS_WITHOUT_STUDY_A  # empty here, or (tokens, templates) no study's objects; tested in their own tests
        )
        for role in ("coordinator_b", "staff", "observer_a"):
            body = world["clients"][role].get(url).content.decode()
            assert not [secret for secret in secrets if secret in body], f"{url} as {role} shows study A"
        analyst_sees = world["clients"]["analyst_a"].get(url).content.decode()
        if route.name == "api-v1:expert-list":  # names and addresses stay with coordinators
            assert str(world["values"]["expert_uuid"]) not in analyst_sees
        elif route.name in ("api-v1:study-list", "api-v1:area-list", "api-v1:criterion-list"):
            assert any(secret in analyst_sees for secret in secrets), f"{url}: the analyst should see study A"


@pytest.mark.django_db
def test_no_one_but_staff_gets_past_the_admin_and_posting_there_changes_nothing(world):
    """Every admin route sends a POST from anyone who is not staff to the admin's log-in, writing nothing.

    (The log-in pages themselves answer everyone: their own tests are in tests/coopsurvey/test_admin_login.py.)
    """
    from django.contrib.auth.models import User

    before = (User.objects.count(), list(User.objects.values_list("username", "is_staff", "is_superuser")))
    wrong = []
    for route in all_routes():
        if not route.pattern.startswith("admin/") or route.name in ("admin-login", "admin:login", "admin:logout"):
            continue
        url = url_for(route, world)
        for role in ("anonymous", "expert_a", "coordinator_a", "coordinator_b"):
            data = {"username": "mallory", "is_superuser": "on", "password1": "x", "action": "delete_selected"}
            got = outcome(world["clients"][role].post(url, data))
            if got != "login":
                wrong.append(f"POST {url} as {role}: got {got}")
    assert not wrong, "\n".join(wrong)
    assert (User.objects.count(), list(User.objects.values_list("username", "is_staff", "is_superuser"))) == before


# Export jobs by their content (exports.selectors.content_needs): the rule that refuses an analyst a file of
# the unmoderated rationales also keeps a coordinator's job for one out of the analyst's lists and downloads.
JOBS_BY_CONTENT = {  # (table, format): whether study A's analyst may see and download the job
    ("rationales", "csv"): False,
    ("rationales", "parquet"): False,
    ("all", "xlsx"): False,  # a workbook of every table holds the unmoderated rationales
    ("all", "bundle"): True,  # the bundle ships the moderated copy only
    ("rationales_moderated", "csv"): True,
    ("ratings", "xlsx"): True,
}


@pytest.mark.django_db
def test_an_analyst_neither_sees_nor_downloads_jobs_whose_content_is_the_coordinators(world, settings, tmp_path):
    from exports.models import ExportJob

    settings.EXPORTS_ROOT = str(tmp_path)
    study, coordinator = world["study"], StudyMember.objects.get(study=world["study"], role="coordinator").user
    jobs = {}
    for (table, fmt), _allowed in JOBS_BY_CONTENT.items():
        name = f"{table}-{fmt}.bin"
        (tmp_path / name).write_bytes(b"a\n1\n")
        jobs[table, fmt] = ExportJob.objects.create(
            study=study, requested_by=coordinator, table=table, format=fmt, status="done", file_name=name
        )
    page_url = reverse("export-page", kwargs={"study_uuid": study.uuid})
    api_list = reverse("api-v1:export-list")
    for role in ("coordinator_a", "analyst_a"):
        client = world["clients"][role]
        page = client.get(page_url).content.decode()
        listed = client.get(api_list).content.decode()
        for key, job in jobs.items():
            allowed = role == "coordinator_a" or JOBS_BY_CONTENT[key]
            urls = {
                "export-job-download": reverse(
                    "export-job-download", kwargs={"study_uuid": study.uuid, "job_uuid": job.uuid}
                ),
                "export-job-status": reverse(
                    "export-job-status", kwargs={"study_uuid": study.uuid, "job_uuid": job.uuid}
                ),
                "api-v1:export-detail": reverse("api-v1:export-detail", kwargs={"uuid": job.uuid}),
                "api-v1:export-download": reverse("api-v1:export-download", kwargs={"uuid": job.uuid}),
            }
            assert (str(job.uuid) in page) == allowed, f"export page as {role}: {key}"
            assert (str(job.uuid) in listed) == allowed, f"API export list as {role}: {key}"
            for name, url in urls.items():
                got = outcome(client.get(url, HTTP_ACCEPT="*/*"))
                assert got == ("ok" if allowed else "404"), f"{name} as {role}: {key}"
    downloads = AuditEvent.objects.filter(action="export.job_download")
    assert downloads.filter(actor_user=coordinator).count() == 2 * len(JOBS_BY_CONTENT)
    assert downloads.exclude(actor_user=coordinator).count() == 2 * sum(JOBS_BY_CONTENT.values())


@pytest.mark.django_db
def test_the_job_rule_and_the_creation_rule_are_one(study_a, analyst_a, coordinator_a):
    """Every (table, format) an analyst may not queue is exactly what they are not shown, and the reverse."""
    from exports.models import ExportJob
    from exports.selectors import export_jobs_for, may_have_export

    for table in ExportJob.Table.values:
        for fmt in ExportJob.Format.values:
            if (table == "all") != (fmt == "bundle") and not (table == "all" and fmt == "xlsx"):
                continue  # no such file (the job's check constraints)
            job = ExportJob.objects.create(study=study_a, requested_by=coordinator_a, table=table, format=fmt)
            shown = export_jobs_for(analyst_a).filter(pk=job.pk).exists()
            assert shown == may_have_export(user=analyst_a, study=study_a, table=table, fmt=fmt), (table, fmt)
            assert export_jobs_for(coordinator_a).filter(pk=job.pk).exists(), (table, fmt)
