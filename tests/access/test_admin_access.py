"""The operator's admin in the authorisation matrix: every admin route × every kind of visitor.

Generated from the URL configuration like ``test_authorization_matrix`` (which leaves ``admin/`` to
this file): each admin route is asked for by an anonymous visitor, a coordinator (not staff), a staff
member without permissions, a staff member who may view every model, and a superuser. The admin's
models are view-only for everyone, superusers included: add, change and delete are refused (403),
and a POST to them writes nothing. The only writes are the actions, each audited (tested below).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from elicitation.models import AuditEvent
from tests.access.routes import _walk
from tests.admin_support import ADMIN_MODELS, client_for, fill_study, staff_member, superuser, viewer  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "coordinator", "staff", "viewer", "superuser")
ADMIN_LOGIN = "admin-login"
MODEL_ROUTE = re.compile(r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<view>changelist|add|change|delete|history)$")
OUTSIDERS = {"anonymous": ADMIN_LOGIN, "coordinator": ADMIN_LOGIN}
STAFF_PAGE = OUTSIDERS | dict.fromkeys(("staff", "viewer", "superuser"), "ok")

# The admin's own pages, by route name; model pages follow from the model and the view (see expected()).
SITE_ROUTES: dict[str, dict[str, str]] = {
    "admin:index": STAFF_PAGE,
    "admin:login": dict.fromkeys(ROLES, "ok"),  # the form, or (already staff) a redirect to the index
    # POST only; someone outside is sent to the admin's front page (and from there to its log-in) first.
    "admin:logout": {"anonymous": "ok", "coordinator": "ok"} | dict.fromkeys(("staff", "viewer", "superuser"), "405"),
    "admin:password_change": STAFF_PAGE,
    "admin:password_change_done": STAFF_PAGE,
    "admin:jsi18n": STAFF_PAGE,
    # Without a model to complete for, refused for everyone inside; outsiders go to the log-in first.
    "admin:autocomplete": OUTSIDERS | dict.fromkeys(("staff", "viewer", "superuser"), "403"),
    # No model of the admin has a page on the site to go to.
    "admin:view_on_site": OUTSIDERS | dict.fromkeys(("staff", "viewer", "superuser"), "404"),
    "admin:app_list": OUTSIDERS | {"staff": "404", "viewer": "ok", "superuser": "ok"},
    "admin:auth_user_password_change": OUTSIDERS | {"staff": "403", "viewer": "403", "superuser": "ok"},
}


def expected(name: str) -> dict[str, str]:
    """What each visitor gets from an admin route: the page ("ok"), the admin log-in, or a status."""
    if name in SITE_ROUTES:
        return SITE_ROUTES[name]
    match = MODEL_ROUTE.match(name)
    assert match, f"{name}: an admin route this matrix does not know; add it to SITE_ROUTES"
    label, view = f"{match['app']}.{match['model']}", match["view"]
    if label in ADMIN_MODELS:  # view-only for everyone
        may_see = "ok" if view in ("changelist", "change", "history") else "403"
        return OUTSIDERS | {"staff": "403", "viewer": may_see, "superuser": may_see}
    assert label in ("auth.user", "auth.group"), f"{label}: a model registered in the admin but not in ADMIN_MODELS"
    # Django's own user and group admin: superusers manage the staff accounts and permissions there.
    return OUTSIDERS | {"staff": "403", "viewer": "403", "superuser": "ok"}


def admin_routes() -> list[tuple[str, tuple[str, ...]]]:
    found: dict[str, tuple[str, ...]] = {}
    for _pattern, name, kwargs in _walk(admin.site.urls[0], "admin/", "admin"):
        if name.startswith("admin:"):  # unnamed: the admin's own redirects and its catch-all 404
            found.setdefault(name, kwargs)
    return sorted(found.items())


@pytest.fixture
def world(superuser, staff_member, viewer) -> dict[str, Any]:  # noqa: F811 - fixtures
    filled = fill_study(experts=3)
    coordinator = filled.study.coordinators.get()
    objects = {label: apps.get_model(label).objects.order_by("pk").first() for label in ADMIN_MODELS}
    objects["auth.user"] = coordinator
    objects["auth.group"] = Group.objects.create(name="ops")
    clients = {"anonymous": Client(), "coordinator": client_for(coordinator)}
    clients |= {"staff": client_for(staff_member), "viewer": client_for(viewer), "superuser": client_for(superuser)}
    return {"objects": objects, "clients": clients, "coordinator": coordinator}


def urls_for(name: str, kwargs: tuple[str, ...], world: dict[str, Any]) -> list[str]:
    if name == "admin:app_list":
        return [reverse(name, kwargs={"app_label": app}) for app in ("elicitation", "aggregation", "exports", "api")]
    values: dict[str, Any] = {}
    match = None if name in SITE_ROUTES else MODEL_ROUTE.match(name)
    if match:
        label = f"{match['app']}.{match['model']}"
        values["object_id"] = world["objects"][label].pk
    if name == "admin:auth_user_password_change":
        values["id"] = world["coordinator"].pk
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        study = world["objects"]["elicitation.study"]
        values |= {"content_type_id": ContentType.objects.get_for_model(study).pk, "object_id": study.pk}
    return [reverse(name, kwargs={key: values[key] for key in kwargs})]


def outcome(response: Any) -> str:
    status = response.status_code
    if status in (301, 302) and "/admin/login/" in response.get("Location", ""):
        return ADMIN_LOGIN
    if status in (200, 302):
        return "ok"
    return str(status)


def test_every_admin_route_is_in_the_matrix():
    names = [name for name, _kwargs in admin_routes()]
    assert "admin:elicitation_auditevent_changelist" in names
    for name in names:
        expected(name)  # fails for a route it does not know


def test_every_admin_route_answers_every_visitor_as_the_matrix_says(world):
    wrong = []
    for name, kwargs in admin_routes():
        for url in urls_for(name, kwargs, world):
            for role in ROLES:
                got = outcome(world["clients"][role].get(url))
                if got != expected(name)[role]:
                    wrong.append(f"GET {url} as {role}: expected {expected(name)[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


def stored() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model the admin shows, as stored."""
    return {label: list(apps.get_model(label).objects.order_by("pk").values_list()) for label in ADMIN_MODELS}


def test_a_superusers_post_to_add_change_or_delete_is_refused_and_writes_nothing(world):
    """Append-only history (audit log, revisions, runs, results) and everything else alike: 403, nothing written."""
    client, before = world["clients"]["superuser"], stored()
    wrong = []
    for name, kwargs in admin_routes():
        match = None if name in SITE_ROUTES else MODEL_ROUTE.match(name)
        if not match or f"{match['app']}.{match['model']}" not in ADMIN_MODELS:
            continue
        if match["view"] in ("changelist", "history"):  # a list (actions: below) and a read-only page
            continue
        for url in urls_for(name, kwargs, world):
            data = {"post": "yes", "action": "delete", "action_on": "everything", "value": "1", "detail": "{}"}
            got = client.post(url, data).status_code
            if got not in (403, 405):
                wrong.append(f"POST {url}: {got}")
    assert not wrong, "\n".join(wrong)
    assert stored() == before


def test_the_delete_action_is_not_offered_even_to_a_superuser(world):
    client, before = world["clients"]["superuser"], stored()
    for label in ADMIN_MODELS:
        app, model = label.split(".")
        url = reverse(f"admin:{app}_{model}_changelist")
        page = client.get(url).content.decode()
        assert 'value="delete_selected"' not in page, label
        pk = world["objects"][label].pk
        response = client.post(url, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
        assert response.status_code in (200, 302)
    assert stored() == before


def test_visitors_who_may_not_act_are_refused_every_action_and_change_nothing(world):
    """Outsiders go to the log-in; staff without the change permission are refused; nothing is written."""
    before, events = stored(), AuditEvent.objects.count()
    for label, action in ACTIONS:
        app, model = label.split(".")
        url = reverse(f"admin:{app}_{model}_changelist")
        data = {"action": action, "_selected_action": [world["objects"][label].pk]}
        for role in ("anonymous", "coordinator", "staff", "viewer"):
            got = outcome(world["clients"][role].post(url, data))
            assert got in (ADMIN_LOGIN, "403") or (role == "viewer" and got == "ok"), (label, action, role, got)
    assert stored() == before
    assert AuditEvent.objects.count() == events


# Every action the admin offers, with the model whose list offers it.
ACTIONS = [
    ("elicitation.expert", "revoke_links"),
    ("elicitation.invitationtoken", "revoke"),
    ("elicitation.round", "rerun"),
    ("aggregation.aggregationrun", "rerun"),
    ("exports.exportjob", "retry"),
    ("elicitation.emailjob", "retry"),
    ("api.apitoken", "revoke"),
]


def offered_actions(user: Any) -> set[tuple[str, str]]:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    found = set()
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.get_actions(request):
            found.add((model._meta.label_lower, name))
    return found


def test_every_action_offered_to_a_superuser_has_an_audit_check(superuser):  # noqa: F811 - fixture
    """A new action must be added to ACTIONS, and so to the audit test below."""
    offered = {item for item in offered_actions(superuser) if not item[0].startswith("auth.")}
    assert offered == set(ACTIONS)


def test_actions_are_offered_only_to_staff_who_may_change_the_model(viewer):  # noqa: F811 - fixture
    assert not {item for item in offered_actions(viewer) if not item[0].startswith("auth.")}


@pytest.mark.parametrize(("label", "action"), ACTIONS, ids=[f"{label} {action}" for label, action in ACTIONS])
def test_each_action_writes_an_audit_event_naming_the_operator(
    world, label, action, django_capture_on_commit_callbacks
):
    from elicitation.models import EmailJob
    from exports.models import ExportJob

    ExportJob.objects.update(status=ExportJob.Status.FAILED)  # jobs an operator may retry
    EmailJob.objects.update(status=EmailJob.Status.FAILED)
    app, model = label.split(".")
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=False):
        response = world["clients"]["superuser"].post(
            reverse(f"admin:{app}_{model}_changelist"),
            {"action": action, "_selected_action": [world["objects"][label].pk]},
        )
    assert response.status_code == 302
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert events, f"{label} {action} wrote no audit event"
    superuser_id = world["clients"]["superuser"].session["_auth_user_id"]
    assert all(str(event.actor_user_id) == superuser_id for event in events)


def test_a_staff_member_given_the_change_permission_may_act(world, staff_member):  # noqa: F811 - fixture
    from django.contrib.auth.models import Permission

    from api.models import ApiToken

    staff_member.user_permissions.set(Permission.objects.filter(codename__in=["view_apitoken", "change_apitoken"]))
    token = world["objects"]["api.apitoken"]
    response = world["clients"]["staff"].post(
        reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    # Still view-only: the change permission lets them act, not edit the row.
    assert world["clients"]["staff"].post(reverse("admin:api_apitoken_change", args=[token.pk])).status_code == 403


def test_a_coordinator_cannot_log_in_to_the_admin(world):
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": world["coordinator"].username, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 200  # the form again, with its error: not a staff account
    assert "_auth_user_id" not in client.session
    assert outcome(client.get(reverse("admin:index"))) == ADMIN_LOGIN
