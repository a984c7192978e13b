"""Every state-changing endpoint writes an audit event, generated from the URL configuration.

Each route × unsafe method (POST, PUT, PATCH, DELETE) that the route accepts, asked as the role that
may use it, needs a recipe in ``RECIPES``: a valid request that changes state, after which at
least one new AuditEvent names who (a user, an expert, or for a public form the client address),
what (the action) and when. A route that accepts an unsafe method without a recipe fails the
first test, as a route without an authorisation entry fails the matrix; a route whose unsafe
methods change nothing stored is listed in ``NOT_A_STATE_CHANGE`` with the reason. Read-only
pages refuse unsafe methods with 405. A few GETs change state too (a link exchanged, an export
downloaded): they have recipes as well.

The audit table is append-only: the model refuses updates and deletes, and on PostgreSQL a
trigger refuses them in the database (tested here and in tests/elicitation/test_invariants.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from elicitation.models import AreaResponse, AuditEvent, Expert, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.rounds.services.moderation import rationale_hide
from elicitation.setup.services.items import area_update
from elicitation.setup.services.tokens import token_issue
from exports.models import ExportJob
from tests.access import signin_recipes
from tests.access.routes import Route, all_routes, route_values
from tests.access.test_admin_access import ACTIONS as ADMIN_ACTIONS
from tests.access.test_authorization_matrix import EXPECTED, url_for
from tests.conftest import invitation_client
from tests.elicitation.setup.test_views_flows import settings_data
from tests.factories import make_round

pytestmark = pytest.mark.django_db

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
PASSWORD = "pw-for-tests-123"
ADDRESSES = (f"203.0.113.{number % 250}" for number in itertools.count())

# Unsafe methods that change nothing stored, so there is nothing to audit.
NOT_A_STATE_CHANGE = {
    "set_language": "sets this browser's language cookie only (an expert's language switch is expert-language)",
    "logout": "ends the caller's own session; nothing stored about the study changes",
    # Django's admin: pages that only show, or redirect, whatever the method.
    "admin:logout": "ends the caller's own session, as logout",
    "admin:index": "a page of links",
    "admin:app_list": "a page of links",
    "admin:jsi18n": "the admin's translations (JavaScript)",
    "admin:autocomplete": "search results (JSON)",
    "admin:view_on_site": "a redirect to the object's page on the site",
    "admin:auth_user_history": "the admin's change history of a user",
    "admin:auth_group_history": "the admin's change history of a group",
    "unnamed admin/(?P<url>.*)$": "the admin's catch-all: 404",
    "unnamed admin/auth/user/<path:object_id>/": "a redirect to the change page",
    "unnamed admin/auth/group/<path:object_id>/": "a redirect to the change page",
}


def _operator_admin_pages() -> dict[str, str]:
    """The operator's admin shows; only its actions write (their recipes: ADMIN_ACTION_RECIPES)."""
    from tests.admin_support import ADMIN_MODELS

    acting = {label for label, _action in ADMIN_ACTIONS}
    pages: dict[str, str] = {}
    for label in ADMIN_MODELS:
        name = "admin:" + label.replace(".", "_")
        pages[f"{name}_history"] = "the admin's change history of a row"
        pages[f"unnamed admin/{label.replace('.', '/')}/<path:object_id>/"] = "a redirect to the change page"
        for view in ("add", "change", "delete"):
            pages[f"{name}_{view}"] = "view-only in the admin: refused (403) even to a superuser"
        if label not in acting:
            pages[f"{name}_changelist"] = "a list without actions: a POST shows the list again"
    return pages


NOT_A_STATE_CHANGE |= _operator_admin_pages()
NOT_A_STATE_CHANGE |= signin_recipes.NOT_A_STATE_CHANGE
# Django's admin views change state only on POST; any other method is answered as a GET
# (test_the_admin_answers_other_methods_as_a_get_storing_nothing), so only POST is probed there.
ADMIN_UNSAFE = ("POST",)


@dataclass
class World:
    study: Study
    round: Round
    expert: Expert
    response: AreaResponse
    coordinator: Any
    job: ExportJob
    values: dict[str, Any]
    per_route: dict[str, Any]

    def coordinator_client(self) -> Client:
        client = Client()
        client.force_login(self.coordinator)
        return client

    def admin_client(self) -> Client:
        """A superuser in Django's admin (created on first use, so the other recipes' worlds stay as they were)."""
        from tests.factories import make_user

        admin_user = User.objects.filter(username="root").first() or make_user("root", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(admin_user)
        return client

    def api_client(self) -> APIClient:
        client = APIClient()
        client.force_login(self.coordinator)
        return client

    def expert_client(self, *, consented: bool = True) -> Client:
        client = Client(REMOTE_ADDR=next(ADDRESSES))  # one address each: the link exchange is rate-limited
        assert client.get(reverse("expert-link", kwargs={"token": token_issue(expert=self.expert)})).status_code == 302
        if consented:
            assert client.post(reverse("expert-consent"), {"consent": "yes"}).status_code == 302
        return client

    def url(self, name: str, **kwargs: Any) -> str:
        route = next(route for route in all_routes() if route.name == name)
        return url_for(route, {"values": self.values | kwargs, "per_route": self.per_route})

    def round_kwargs(self, round_: Round) -> dict[str, Any]:
        return {"study_uuid": self.study.uuid, "round_uuid": round_.uuid}


@pytest.fixture
def world(study_a: Study, study_b: Study, coordinator_a) -> World:
    round_a = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=3))
    expert = study_a.experts.earliest("number")
    filled = route_values(study=study_a, round_=round_a, expert=expert, coordinator=coordinator_a)
    values = {
        **filled.values,
        "token": "x" * 43,
        "uidb64": urlsafe_base64_encode(force_bytes(coordinator_a.pk)),
    }
    response, job, per_route = filled.response, filled.job, filled.per_route
    return World(study_a, round_a, expert, response, coordinator_a, job, values, per_route)


def later(days: int = 5) -> str:
    return (timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _draft_after_closing(w: World) -> Round:
    round_close(round=w.round, user=None)
    return make_round(w.study, status=Round.Status.DRAFT)


def _item_field(w: World) -> str:
    item = w.round.items.earliest("id")
    return f"r-{item.area_id}-{item.criterion_id}"


# A recipe sets up what it needs, then returns the request to make (so setup's own events do not count).
Act = Callable[[], Any]
Recipe = Callable[[World], Act]


def _coordinator_post(name: str, data: Any = None, *, closed: bool = False) -> Recipe:
    """A coordinator's POST; ``closed``: after the open round is closed (changes asked in it wait)."""

    def recipe(w: World) -> Act:
        if closed:
            round_close(round=w.round, user=None)
        client, url = w.coordinator_client(), w.url(name)
        return lambda: client.post(url, data(w) if callable(data) else data or {})

    return recipe


def _round_open(w: World) -> Act:
    draft, client = _draft_after_closing(w), w.coordinator_client()
    return lambda: client.post(reverse("round-open", kwargs=w.round_kwargs(draft)), {"deadline": later()})


def _round_schedule(w: World) -> Act:
    draft, client = _draft_after_closing(w), w.coordinator_client()
    data = {"schedule-opens_at": later(2), "schedule-scheduled_deadline": later(9), "schedule-time_zone": "UTC"}
    return lambda: client.post(reverse("round-schedule", kwargs=w.round_kwargs(draft)), data)


def _round_unschedule(w: World) -> Act:
    from elicitation.rounds.services.scheduling import round_schedule

    draft, client = _draft_after_closing(w), w.coordinator_client()
    soon = timezone.now() + dt.timedelta(days=1)
    round_schedule(round=draft, user=w.coordinator, opens_at=soon, deadline=soon + dt.timedelta(days=7))
    return lambda: client.post(reverse("round-unschedule", kwargs=w.round_kwargs(draft)))


def _round_try_pilot(w: World) -> Act:
    """Pilot mode keeps the answers as pilot data (audited); a preview's POST stores nothing (its own tests)."""
    client, url = w.coordinator_client(), w.url("round-try") + "?mode=pilot"
    return lambda: client.post(url, {_item_field(w): "5", "tester_label": "Colleague"})


def _round_plan(w: World) -> Act:
    round_close(round=w.round, user=None)
    client, url = w.coordinator_client(), w.url("round-plan")
    item = w.round.items.earliest("id")
    return lambda: client.post(url, {"item": [f"{item.area_id}:{item.criterion_id}"]})


def _translation_confirm(w: World) -> Act:
    """A Chinese title left stale by an English rewording, confirmed as still matching."""
    round_close(round=w.round, user=None)  # wording waits while a round asks it
    area = w.study.areas.earliest("order")
    area_update(area=area, user=None, translations={"zh-hans": {"title": "领域"}})
    area_update(area=area, user=None, title="Reworded")
    client, url = w.coordinator_client(), w.url("study-translation-confirm")
    return lambda: client.post(url, {"kind": "area", "owner": area.pk, "key": "title", "language": "zh-hans"})


def _moderation_unhide(w: World) -> Act:
    rationale_hide(response=w.response, user=None, reason="test")
    client, url = w.coordinator_client(), w.url("round-moderation-unhide")
    return lambda: client.post(url)


def _api_round_open(w: World) -> Act:
    draft, client = _draft_after_closing(w), w.api_client()
    deadline = (timezone.now() + dt.timedelta(days=5)).isoformat()
    return lambda: client.post(f"/api/v1/rounds/{draft.uuid}/open/", {"deadline": deadline}, format="json")


def _api_round_close(w: World) -> Act:
    client = w.api_client()
    return lambda: client.post(w.url("api-v1:round-close"))


def _api_experts_import(w: World) -> Act:
    client, url = w.api_client(), w.url("api-v1:study-experts-import")
    upload = SimpleUploadedFile("panel.csv", b"email,name,bloc,sector,language\nn@example.org,N,China,,en\n")
    return lambda: client.post(url, {"file": upload}, format="multipart")


def _api_export_create(w: World) -> Act:
    client, url = w.api_client(), w.url("api-v1:export-list")
    body = {"study": str(w.study.uuid), "format": "csv", "table": "ratings"}
    return lambda: client.post(url, body, format="json")


def _api_me_ratings(w: World) -> Act:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=w.expert)}")
    w.expert.consented_at = timezone.now()
    Expert.objects.filter(pk=w.expert.pk).update(consented_at=w.expert.consented_at)
    item = w.round.items.select_related("area", "criterion").earliest("id")
    body = {"answers": [{"area": str(item.area.uuid), "criterion": str(item.criterion.uuid), "value": 7}]}
    return lambda: client.put(w.url("api-v1:me-ratings"), body, format="json")


def _api_post(name: str, data: Any = None, *, method: str = "post", closed: bool = False) -> Recipe:
    """A coordinator's API request (JSON); ``closed``: after the open round is closed."""

    def recipe(w: World) -> Act:
        if closed:
            round_close(round=w.round, user=None)
        client, url = w.api_client(), w.url(name)
        return lambda: getattr(client, method)(url, data(w) if callable(data) else data or {}, format="json")

    return recipe


def _api_plan_next(w: World) -> Act:
    round_close(round=w.round, user=None)
    client, url = w.api_client(), w.url("api-v1:round-plan-next")
    item = w.round.items.select_related("area", "criterion").earliest("id")
    body = {"items": [{"area": item.area.code, "criterion": item.criterion.code}]}
    return lambda: client.post(url, body, format="json")


def _api_study_import(w: World) -> Act:
    """The definition as the JSON body, as a client sends the file it downloaded."""
    client = w.api_client()
    return lambda: client.post(w.url("api-v1:study-import"), STUDY_JSON, content_type="application/json")


def _api_round_schedule(w: World) -> Act:
    draft, client = _draft_after_closing(w), w.api_client()
    body = {"opens_at": later(2), "deadline": later(9)}
    return lambda: client.put(f"/api/v1/rounds/{draft.uuid}/schedule/", body, format="json")


def _api_round_unschedule(w: World) -> Act:
    from elicitation.rounds.services.scheduling import round_schedule

    draft, client = _draft_after_closing(w), w.api_client()
    soon = timezone.now() + dt.timedelta(days=1)
    round_schedule(round=draft, user=w.coordinator, opens_at=soon, deadline=soon + dt.timedelta(days=7))
    return lambda: client.delete(f"/api/v1/rounds/{draft.uuid}/schedule/")


def _api_rationale_unhide(w: World) -> Act:
    rationale_hide(response=w.response, user=None, reason="test")
    client, url = w.api_client(), w.url("api-v1:rationale-unhide")
    return lambda: client.post(url, {}, format="json")


def _api_me_suggest(w: World) -> Act:
    client = invitation_client(w.expert, consented=True)
    return lambda: client.post(w.url("api-v1:me-suggestions"), {"text": "Chip registries"}, format="json")


def _api_me_reasons(w: World) -> Act:
    client = invitation_client(w.expert, consented=True)
    body = {"reasons": [{"area": str(w.response.area.uuid), "confidence": 4, "rationale": "Because of the labs."}]}
    return lambda: client.put(w.url("api-v1:me-reasons"), body, format="json")


def _api_me_consent(w: World) -> Act:
    client = invitation_client(w.expert)
    return lambda: client.post(w.url("api-v1:me-consent"), {"consent": True}, format="json")


def _api_me_submit(w: World) -> Act:
    client = invitation_client(w.expert, consented=True)
    items = w.round.items.select_related("area", "criterion")
    answers = [{"area": str(i.area.uuid), "criterion": str(i.criterion.uuid), "value": 5} for i in items]
    assert client.put(w.url("api-v1:me-ratings"), {"answers": answers}, format="json").status_code == 200
    return lambda: client.post(w.url("api-v1:me-submit"), {}, format="json")


def _expert_post(name: str, data: Callable[[World], dict[str, Any]], *, consented: bool = True) -> Recipe:
    def recipe(w: World) -> Act:
        client, url = w.expert_client(consented=consented), w.url(name)
        return lambda: client.post(url, data(w))

    return recipe


def _expert_autosave(w: World) -> Act:
    client, url, field = w.expert_client(), w.url("expert-autosave"), _item_field(w)
    return lambda: client.post(url, {field: "7"}, HTTP_HX_REQUEST="true")


def _quantity_question_data(w: World, code: str) -> dict[str, Any]:
    area = w.study.areas.earliest("order").pk
    return {
        "area": area,
        "code": code,
        "title": "Inspectors",
        "kind": "quantity",
        "lower_bound": "0",
        "scale": "uniform",
    }


def _expert_quantity_save(w: World) -> Act:
    question = w.study.quantity_questions.get(code="seed1")
    client, url = w.expert_client(), w.url("expert-quantity-save")
    prefix = f"quantity-{question.pk}-"
    data = {prefix + "lowest": "1", prefix + "best": "2", prefix + "highest": "3", prefix + "confidence": "80"}
    return lambda: client.post(url, data)


def _quantity_import(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("quantity-import")
    dtt = "* CLASS ASCII OUTPUT FILE. NQ=   3   QU=   5  50  95\n"
    dtt += "    1       A    1          item1 UNI  1.00000E+0000  2.00000E+0000  3.00000E+0000\n"
    rls = "    1          item1  2.50000E+0000 UNI\n"
    data = {
        "round": w.round.pk,
        "area": w.study.areas.earliest("order").pk,
        "bloc": w.study.blocs[0],
        "dtt": SimpleUploadedFile("case.dtt", dtt.encode()),
        "rls": SimpleUploadedFile("case.rls", rls.encode()),
    }
    return lambda: client.post(url, data)


def _quantity_export(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("quantity-export")
    return lambda: client.get(url)


def _quantity_results_csv(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("quantity-results-csv")
    return lambda: client.get(url)


def _expert_link(w: World) -> Act:
    url = reverse("expert-link", kwargs={"token": token_issue(expert=w.expert)})
    return lambda: Client().get(url)


def _login(w: World) -> Act:
    return lambda: Client().post(reverse("login"), {"username": w.coordinator.username, "password": PASSWORD})


def _password_change(w: World) -> Act:
    client = w.coordinator_client()
    data = {"old_password": PASSWORD, "new_password1": "a-new-long-pass-9", "new_password2": "a-new-long-pass-9"}
    return lambda: client.post(reverse("password_change"), data)


def _password_reset(w: World) -> Act:
    w.coordinator.email = "alice@example.org"
    w.coordinator.save()
    return lambda: Client().post(reverse("password_reset"), {"email": "alice@example.org"})


def _password_reset_confirm(w: World) -> Act:
    client = Client()
    uid = w.values["uidb64"]
    token = default_token_generator.make_token(w.coordinator)
    # Django moves the token into the session, then asks for the new password at a fixed URL.
    landing = client.get(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))
    data = {"new_password1": "a-new-long-pass-9", "new_password2": "a-new-long-pass-9"}
    return lambda: client.post(landing["Location"], data)


def _export_download(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("export-download")
    return lambda: client.get(url, {"table": "ratings", "format": "csv"})


def _api_study_table(w: World) -> Act:
    client, url = w.api_client(), w.url("api-v1:study-table")
    return lambda: client.get(url, HTTP_ACCEPT="text/csv")


def _finished_job(w: World, settings: Any, tmp_path: Any) -> None:
    """The world's export job as a worker leaves it: done, with its file on disk."""
    settings.EXPORTS_ROOT = str(tmp_path)
    ExportJob.objects.filter(pk=w.job.pk).update(status=ExportJob.Status.DONE, file_name="job.csv")
    (tmp_path / "job.csv").write_text("a,b\n1,2\n")


def _export_job_download(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("export-job-download")
    return lambda: client.get(url)


def _api_export_download(w: World) -> Act:
    client, url = w.api_client(), w.url("api-v1:export-download")
    return lambda: client.get(url, HTTP_ACCEPT="text/csv")


def _expert_erase(w: World) -> Act:
    client, url = w.coordinator_client(), w.url("expert-erase")
    return lambda: client.post(url, {"pseudonym": w.expert.pseudonym})


def _token_list(w: World) -> Act:
    client = w.coordinator_client()
    return lambda: client.post(reverse("api-token-list"), {"name": "desktop"})


def _link_request(w: World) -> Act:
    return lambda: Client().post(reverse("expert-link-request"), {"email": w.expert.email})


# Django's admin, as a superuser.
NEW_PASSWORD = {"password1": "a-new-long-pass-9", "password2": "a-new-long-pass-9", "usable_password": "true"}


def _admin_post(name: str, data: Callable[[World], dict[str, Any]] | dict[str, Any], **url_kwargs: Any) -> Recipe:
    def recipe(w: World) -> Act:
        client, url = w.admin_client(), w.url(name, **url_kwargs)
        return lambda: client.post(url, data(w) if callable(data) else data)

    return recipe


def _admin_on_new(name: str, make: Callable[[World], Any], data: dict[str, Any]) -> Recipe:
    """A POST about an object made for it (a user, a group, a run), by the admin."""

    def recipe(w: World) -> Act:
        obj = make(w)
        client = w.admin_client()
        url = w.url(name, object_id=obj.pk)
        return lambda: client.post(url, data)

    return recipe


def _admin_action(label: str, action: str) -> Recipe:
    """An operator's action on the world's first row of the model (export and email jobs failed, to be retried)."""

    def recipe(w: World) -> Act:
        from django.apps import apps

        from elicitation.models import EmailJob
        from elicitation.rounds.services.email_jobs import email_jobs_queue

        ExportJob.objects.filter(pk=w.job.pk).update(status=ExportJob.Status.FAILED)
        if label == "elicitation.emailjob":
            (email,) = email_jobs_queue(kind=EmailJob.Kind.NEW_LINK, expert_ids=[w.expert.pk])
            EmailJob.objects.filter(pk=email.pk).update(status=EmailJob.Status.FAILED, error="refused")
        if label == "aggregation.aggregationrun":
            _new_run(w)
        if label in ("elicitation.expert", "elicitation.invitationtoken"):
            token_issue(expert=w.expert)  # a live link to revoke
        row = w.expert if label == "elicitation.expert" else apps.get_model(label).objects.order_by("pk").first()
        client, url = w.admin_client(), w.url(f"admin:{label.replace('.', '_')}_changelist")
        return lambda: client.post(url, {"action": action, "_selected_action": [row.pk]})

    return recipe


def _admin_delete_selected(name: str, make: Callable[[World], Any]) -> Recipe:
    def recipe(w: World) -> Act:
        obj = make(w)
        client, url = w.admin_client(), w.url(name)
        return lambda: client.post(url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})

    return recipe


def _new_user(w: World) -> Any:
    from tests.factories import make_user

    return make_user("dave")


def _new_group(w: World) -> Any:
    from django.contrib.auth.models import Group

    return Group.objects.create(name="editors")


def _new_run(w: World) -> Any:
    from aggregation.models import AggregationRun

    round_close(round=w.round, user=None)
    return AggregationRun.objects.create(round=w.round, requested_at=timezone.now())


def _admin_login(w: World) -> Act:
    w.admin_client()  # the superuser exists
    return lambda: Client().post("/admin/login/", {"username": "root", "password": PASSWORD})


def _admin_password_change(w: World) -> Act:
    client = w.admin_client()
    data = {"old_password": PASSWORD, "new_password1": "a-new-long-pass-9", "new_password2": "a-new-long-pass-9"}
    return lambda: client.post("/admin/password_change/", data)


def _admin_user_change(w: World) -> Act:
    client, url = w.admin_client(), w.url("admin:auth_user_change")
    data = {
        "username": w.coordinator.username,
        "first_name": "Alice",
        "email": "alice@example.org",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "10:00:00",
    }
    return lambda: client.post(url, data)


AREA = {"code": "red-team", "title": "Red-teaming", "description": "", "order": 9, "is_active": "on"}
CRITERION = {"code": "F9", "title": "Feasible", "kind": "benefit", "scale_min": 1, "scale_max": 9, "is_active": "on"}
ITEMS_CSV = b"type,code,title,kind\narea,new-area,New area,\n"
STUDY_JSON = b'{"study": {"title": "Imported"}, "areas": [{"code": "a1", "title": "One"}]}'
PANEL_CSV = b"email,name,bloc,sector,language\nn@example.org,N,China,,en\n"

RECIPES: dict[tuple[str, str], Recipe] = {
    ("login", "POST"): _login,
    ("password_change", "POST"): _password_change,
    ("password_reset", "POST"): _password_reset,
    ("password_reset_confirm", "POST"): _password_reset_confirm,
    ("study-create", "POST"): _coordinator_post("study-create", {"title": "New", "template": ""}),
    ("study-settings", "POST"): _coordinator_post(
        "study-settings", lambda w: settings_data(w.study, reason="A deviation, recorded")
    ),
    ("study-team", "POST"): _coordinator_post("study-team", {"username": "bob", "role": "analyst"}),
    ("study-member-role", "POST"): _coordinator_post("study-member-role", {"role": "analyst"}),
    ("study-member-remove", "POST"): _coordinator_post("study-member-remove"),
    # Webhooks (issue 20 item 9).
    ("study-webhooks", "POST"): _coordinator_post(
        "study-webhooks", {"url": "https://hooks.example.org/in", "events": ["round.closed"]}
    ),
    ("study-webhook-active", "POST"): _coordinator_post("study-webhook-active", {}),
    ("study-webhook-delete", "POST"): _coordinator_post("study-webhook-delete"),
    ("study-webhook-redeliver", "POST"): _coordinator_post("study-webhook-redeliver"),
    ("study-rule", "POST"): _coordinator_post(
        "study-rule", {"max_iqr": "1", "band": "high", "min_percent_in_band": "75", "reason": "A deviation, recorded"}
    ),
    ("study-items-import", "POST"): _coordinator_post(
        "study-items-import", lambda w: {"file": SimpleUploadedFile("items.csv", ITEMS_CSV)}
    ),
    ("area-create", "POST"): _coordinator_post("area-create", AREA),
    # Study reuse (issue 20).
    ("study-import", "POST"): _coordinator_post(
        "study-import", lambda w: {"file": SimpleUploadedFile("study.json", STUDY_JSON), "title": ""}
    ),
    ("study-duplicate", "POST"): _coordinator_post("study-duplicate", {"copy-title": "Copy"}),
    ("study-save-template", "POST"): _coordinator_post("study-save-template", {"template-title": "Kept too"}),
    ("template-start", "POST"): _coordinator_post("template-start", {"title": "From the template"}),
    ("template-delete", "POST"): _coordinator_post("template-delete"),
    ("area-edit", "POST"): _coordinator_post(
        "area-edit", lambda w: AREA | {"code": w.study.areas.earliest("order").code}, closed=True
    ),
    ("area-set-active", "POST"): _coordinator_post("area-set-active", {"active": "0"}),
    ("criterion-create", "POST"): _coordinator_post("criterion-create", CRITERION),
    ("criterion-edit", "POST"): _coordinator_post(
        "criterion-edit",
        lambda w: CRITERION | {"code": w.study.criteria.earliest("order").code, "title": "Renamed"},
        closed=True,
    ),
    ("criterion-set-active", "POST"): _coordinator_post("criterion-set-active", {"active": "0"}),
    ("expert-create", "POST"): _coordinator_post(
        "expert-create", {"email": "x@example.org", "name": "X", "bloc": "China", "sector": "", "language": "en"}
    ),
    ("expert-edit", "POST"): _coordinator_post(
        "expert-edit",
        lambda w: {"email": w.expert.email, "name": "Renamed", "bloc": w.expert.bloc, "sector": "", "language": "en"},
    ),
    ("expert-set-active", "POST"): _coordinator_post("expert-set-active", {"active": "0"}),
    ("expert-erase", "POST"): _expert_erase,
    ("study-panel-import", "POST"): _coordinator_post(
        "study-panel-import", lambda w: {"file": SimpleUploadedFile("panel.csv", PANEL_CSV)}
    ),
    ("round-create", "POST"): _coordinator_post("round-create", closed=True),
    ("round-open", "POST"): _round_open,
    # Scheduling and piloting (issue 20).
    ("round-schedule", "POST"): _round_schedule,
    ("round-unschedule", "POST"): _round_unschedule,
    ("round-try", "POST"): _round_try_pilot,
    # The results summary at the study's end (issue 20): once the round is closed.
    ("study-results-summary", "POST"): _coordinator_post("study-results-summary", {"confirm": "yes"}, closed=True),
    ("round-pilot-delete", "POST"): _coordinator_post("round-pilot-delete"),
    ("round-deadline", "POST"): _coordinator_post("round-deadline", lambda w: {"deadline": later(9)}),
    ("round-close", "POST"): _coordinator_post("round-close"),
    ("round-invite", "POST"): _coordinator_post("round-invite"),
    ("round-messages", "POST"): _coordinator_post("round-messages", {"message_en": "What changed: nothing."}),
    ("study-translation-confirm", "POST"): _translation_confirm,
    ("round-remind", "POST"): _coordinator_post("round-remind"),
    ("round-plan", "POST"): _round_plan,
    ("round-moderation-hide", "POST"): _coordinator_post("round-moderation-hide", {"reason": "personal data"}),
    ("round-moderation-unhide", "POST"): _moderation_unhide,
    ("round-moderation-translate", "POST"): _coordinator_post(
        "round-moderation-translate", {"translation": "因为。", "language": "zh-hans"}
    ),
    ("round-area-reword", "POST"): _coordinator_post(
        "round-area-reword", lambda w: {"title": "Reworded", "description": "", "round": str(w.round.uuid)}, closed=True
    ),
    ("round-area-add", "POST"): _coordinator_post(
        "round-area-add", lambda w: {"title": "Chip registries", "description": "", "round": str(w.round.uuid)}
    ),
    ("expert-consent", "POST"): _expert_post("expert-consent", lambda w: {"consent": "yes"}, consented=False),
    ("expert-language", "POST"): _expert_post("expert-language", lambda w: {"language": "zh-hans"}),
    ("expert-round-post", "POST"): _expert_post("expert-round-post", lambda w: {_item_field(w): "7"}),
    ("expert-autosave", "POST"): _expert_autosave,
    # Quantity questions (issue 19).
    ("quantity-format", "POST"): _coordinator_post(
        "quantity-format", {"format": "quantiles", "quantiles": "10, 50, 90", "overshoot": "0.1"}
    ),
    ("quantity-create", "POST"): _coordinator_post("quantity-create", lambda w: _quantity_question_data(w, "q2")),
    ("quantity-edit", "POST"): _coordinator_post("quantity-edit", lambda w: _quantity_question_data(w, "seed1")),
    ("quantity-realization", "POST"): _coordinator_post("quantity-realization", {"realization": "12"}),
    ("expert-quantity-save", "POST"): _expert_quantity_save,
    ("expert-quantity-dissent", "POST"): _expert_post("expert-quantity-dissent", lambda w: {"text": "Too narrow."}),
    ("quantity-import", "POST"): _quantity_import,
    ("quantity-export", "GET"): _quantity_export,
    ("quantity-results-csv", "GET"): _quantity_results_csv,
    ("expert-suggest", "POST"): _expert_post("expert-suggest", lambda w: {"text": "Chip registries"}),
    ("expert-link-request", "POST"): _link_request,
    ("api-token-list", "POST"): _token_list,
    ("api-token-revoke", "POST"): _coordinator_post("api-token-revoke"),
    ("export-job-new", "POST"): _coordinator_post("export-job-new", {"format": "csv", "table": "ratings"}),
    ("api-v1:round-open", "POST"): _api_round_open,
    ("api-v1:study-results-summary", "POST"): _api_post("api-v1:study-results-summary", {"confirm": True}, closed=True),
    ("api-v1:round-close", "POST"): _api_round_close,
    ("api-v1:study-experts-import", "POST"): _api_experts_import,
    ("api-v1:export-list", "POST"): _api_export_create,
    ("api-v1:me-ratings", "PUT"): _api_me_ratings,
    # Issue 20: every step of a study through the API.
    ("api-v1:study-list", "POST"): _api_post("api-v1:study-list", {"title": "Through the API"}),
    ("api-v1:study-detail", "PATCH"): _api_post(
        "api-v1:study-detail", {"title": "Renamed", "reason": "A deviation, recorded"}, method="patch"
    ),
    ("api-v1:study-rule", "PUT"): _api_post(
        "api-v1:study-rule", {"max_iqr": "1.5", "reason": "A deviation, recorded"}, method="put"
    ),
    ("api-v1:area-list", "POST"): _api_post(
        "api-v1:area-list", lambda w: {"study": str(w.study.uuid), "code": "chips", "title": "Chip registries"}
    ),
    ("api-v1:area-detail", "PATCH"): _api_post(
        "api-v1:area-detail", {"title": "Reworded"}, method="patch", closed=True
    ),
    ("api-v1:criterion-list", "POST"): _api_post(
        "api-v1:criterion-list",
        lambda w: {"study": str(w.study.uuid), "code": "F9", "title": "Feasible", "kind": "benefit"},
    ),
    ("api-v1:criterion-detail", "PATCH"): _api_post(
        "api-v1:criterion-detail", {"title": "Reworded"}, method="patch", closed=True
    ),
    ("api-v1:expert-list", "POST"): _api_post(
        "api-v1:expert-list", lambda w: {"study": str(w.study.uuid), "email": "n@example.org", "bloc": "China"}
    ),
    ("api-v1:expert-detail", "PATCH"): _api_post("api-v1:expert-detail", {"name": "Renamed"}, method="patch"),
    ("api-v1:round-list", "POST"): _api_post("api-v1:round-list", lambda w: {"study": str(w.study.uuid)}, closed=True),
    ("api-v1:round-plan-next", "POST"): _api_plan_next,
    ("api-v1:round-invitations", "POST"): _api_post("api-v1:round-invitations"),
    ("api-v1:round-reminders", "POST"): _api_post("api-v1:round-reminders"),
    ("api-v1:token-list", "POST"): _api_post("api-v1:token-list", {"name": "scripts"}),
    ("api-v1:token-revoke", "POST"): _api_post("api-v1:token-revoke"),
    ("api-v1:me-consent", "POST"): _api_me_consent,
    # Study reuse, scheduling and pilot runs through the API (issue 20).
    ("api-v1:study-import", "POST"): _api_study_import,
    ("api-v1:study-duplicate", "POST"): _api_post("api-v1:study-duplicate", {"title": "Copy"}),
    ("api-v1:study-save-template", "POST"): _api_post("api-v1:study-save-template", {"title": "Kept too"}),
    ("api-v1:template-start", "POST"): _api_post("api-v1:template-start", {"title": "From the template"}),
    ("api-v1:template-detail", "DELETE"): _api_post("api-v1:template-detail", method="delete"),
    ("api-v1:round-schedule", "PUT"): _api_round_schedule,
    ("api-v1:round-schedule", "DELETE"): _api_round_unschedule,
    ("api-v1:pilot-run-detail", "DELETE"): _api_post("api-v1:pilot-run-detail", method="delete"),
    ("api-v1:me-submit", "POST"): _api_me_submit,
    # Between rounds through the API (issue 20 item 10): the same services, and events, as the pages.
    ("api-v1:study-add-area", "POST"): _api_post("api-v1:study-add-area", {"title": "Chip registries"}),
    ("api-v1:area-reword", "POST"): _api_post("api-v1:area-reword", {"title": "Reworded"}, closed=True),
    ("api-v1:expert-erase", "POST"): _api_post("api-v1:expert-erase", lambda w: {"confirm": w.expert.pseudonym}),
    ("api-v1:rationale-hide", "POST"): _api_post("api-v1:rationale-hide", {"reason": "personal data"}),
    ("api-v1:rationale-unhide", "POST"): _api_rationale_unhide,
    ("api-v1:rationale-translation", "PUT"): _api_post(
        "api-v1:rationale-translation", {"translation": "因为。", "language": "zh-hans"}, method="put"
    ),
    ("api-v1:round-messages", "PUT"): _api_post(
        "api-v1:round-messages", {"messages": {"en": "What changed: nothing."}}, method="put"
    ),
    ("api-v1:round-deadline", "POST"): _api_post("api-v1:round-deadline", lambda w: {"deadline": later(9)}),
    ("api-v1:me-suggestions", "POST"): _api_me_suggest,
    ("api-v1:me-reasons", "PUT"): _api_me_reasons,
    # Django's admin (a superuser); its log-in and password pages are the site's views (core/accounts.py).
    ("admin-login", "POST"): _admin_login,
    ("admin:login", "POST"): _admin_login,
    ("admin-password-change", "POST"): _admin_password_change,
    ("admin:password_change", "POST"): _admin_password_change,
    ("admin:auth_user_add", "POST"): _admin_post("admin:auth_user_add", {"username": "carol", **NEW_PASSWORD}),
    ("admin:auth_user_change", "POST"): _admin_user_change,
    ("admin:auth_user_password_change", "POST"): _admin_post("admin:auth_user_password_change", NEW_PASSWORD),
    ("admin:auth_user_delete", "POST"): _admin_on_new("admin:auth_user_delete", _new_user, {"post": "yes"}),
    ("admin:auth_user_changelist", "POST"): _admin_delete_selected("admin:auth_user_changelist", _new_user),
    ("admin:auth_group_add", "POST"): _admin_post("admin:auth_group_add", {"name": "reviewers"}),
    ("admin:auth_group_change", "POST"): _admin_on_new("admin:auth_group_change", _new_group, {"name": "renamed"}),
    ("admin:auth_group_delete", "POST"): _admin_on_new("admin:auth_group_delete", _new_group, {"post": "yes"}),
    ("admin:auth_group_changelist", "POST"): _admin_delete_selected("admin:auth_group_changelist", _new_group),
    # The operator's admin: its actions (revoke, retry, re-run), each calling a service that audits.
    **{
        (f"admin:{label.replace('.', '_')}_changelist", "POST"): _admin_action(label, action)
        for label, action in ADMIN_ACTIONS
    },
    # GETs that change state: a link exchanged, data exported.
    ("expert-link", "GET"): _expert_link,
    ("export-download", "GET"): _export_download,
    ("api-v1:study-table", "GET"): _api_study_table,
    ("export-job-download", "GET"): _export_job_download,
    ("api-v1:export-download", "GET"): _api_export_download,
}
RECIPES |= signin_recipes.RECIPES  # two-factor and institutional sign-in (django-allauth)
NEEDS_FINISHED_JOB = {"export-job-download", "api-v1:export-download"}


def role_of(route: Route) -> str:
    """Who may use the route: its unsafe methods are probed as that role."""
    if route.pattern.startswith("admin/"):
        return "anonymous" if route.name in ("admin-login", "admin:login") else "admin"
    if route.pattern.startswith("e/") or route.name.startswith("api-v1:me-"):
        return "expert"
    expected = EXPECTED.get(route.name) or {}
    if expected.get("anonymous") == "ok" and route.name not in ("api-docs", "api-schema"):
        return "anonymous"
    return "coordinator"


def probe(w: World, route: Route, method: str) -> int:
    """The status of an empty ``method`` request as the route's role, on a fresh client."""
    role = role_of(route)
    if role == "expert":
        client: Client = w.expert_client()
    elif role == "coordinator":
        client = w.api_client() if route.name.startswith("api-v1:") else w.coordinator_client()
    elif role == "admin":
        client = w.admin_client()
    else:
        client = Client()
    return getattr(client, method.lower())(w.url(route.name)).status_code


def test_every_route_accepting_an_unsafe_method_has_an_audit_recipe(world):
    missing, stale, refused = [], [], []
    for route in all_routes():
        if route.name in NOT_A_STATE_CHANGE:
            continue
        for method in ADMIN_UNSAFE if route.pattern.startswith("admin/") else UNSAFE:
            status = probe(world, route, method)
            if status in (401, 403):
                refused.append(f"{method} {route.name}: the probe as {role_of(route)} was refused ({status})")
            if status != 405 and (route.name, method) not in RECIPES:
                missing.append(f"{method} {route.name} (answered {status})")
            if status == 405 and (route.name, method) in RECIPES:
                stale.append(f"{method} {route.name}")
    assert not missing, "state-changing routes without an audit recipe:\n" + "\n".join(missing)
    assert not stale, "recipes for methods the route refuses:\n" + "\n".join(stale)
    assert not refused, "\n".join(refused)


def stored_rows() -> dict[str, int]:
    """Row counts of every table the app writes (sessions aside: they are the browser's state)."""
    from django.apps import apps

    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("elicitation", "aggregation", "exports", "api", "auth", "quantities")
    }


@pytest.mark.parametrize("name", sorted(NOT_A_STATE_CHANGE))
def test_the_routes_declared_not_a_state_change_store_nothing(world, name):
    route = next(route for route in all_routes() if route.name == name)
    client = world.admin_client() if role_of(route) == "admin" else world.coordinator_client()
    before = stored_rows()
    response = client.post(world.url(name), {"language": "zh-hans", "next": "/"})
    assert response.status_code < 500  # answered (the admin's refusals and 404s included), and nothing stored
    assert stored_rows() == before


def test_the_admin_answers_other_methods_as_a_get_storing_nothing(world):
    client = world.admin_client()
    before = stored_rows()
    for route in all_routes():
        if route.pattern.startswith("admin/") and route.name not in ("admin:logout",):
            for method in ("put", "patch", "delete"):
                data = "username=mallory&name=pwned&post=yes&action=delete_selected"
                status = getattr(client, method)(world.url(route.name), data).status_code
                assert status < 500, (method, route.name, status)
    assert stored_rows() == before


def test_every_recipe_is_for_a_route_that_exists():
    names = {route.name for route in all_routes()}
    assert not sorted({name for name, _method in RECIPES} - names)
    assert not sorted(set(NOT_A_STATE_CHANGE) - names)


@pytest.mark.parametrize(("name", "method"), sorted(RECIPES), ids=[f"{m} {n}" for n, m in sorted(RECIPES)])
def test_the_state_change_writes_an_audit_event_with_who_what_and_when(world, name, method, settings, tmp_path):
    if name in NEEDS_FINISHED_JOB:
        _finished_job(world, settings, tmp_path)
    act = RECIPES[(name, method)](world)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()
    response = act()
    assert response.status_code < 400, (response.status_code, getattr(response, "content", b"")[:2000])
    events = list(AuditEvent.objects.filter(id__gt=last))
    assert events, f"{method} {name} changed state without an audit event"
    for event in events:
        assert event.action
        assert event.created_at >= started - dt.timedelta(seconds=1)
        who = event.actor_user_id or event.actor_expert_id or event.target
        assert who, f"{event.action}: no actor"


def test_audit_events_refuse_updates_and_deletes_in_the_model_and_the_database(coordinator_a):
    event = AuditEvent.objects.create(action="test", actor_user=coordinator_a)
    event.action = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    for statement in ("UPDATE elicitation_auditevent SET action = 'x'", "DELETE FROM elicitation_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    assert AuditEvent.objects.get(pk=event.pk).action == "test"


def test_erasing_an_expert_leaves_the_audit_log_untouched_and_free_of_their_identity(world):
    from elicitation.setup.services.erasure import expert_erase

    name, email = world.expert.name, world.expert.email
    before = list(AuditEvent.objects.values_list("id", "action", "target", "detail"))
    expert_erase(expert=world.expert, user=world.coordinator)
    after = list(AuditEvent.objects.values_list("id", "action", "target", "detail"))
    assert after[: len(before)] == before  # nothing rewritten
    recorded = "".join(f"{action}{target}{detail}" for _id, action, target, detail in after)
    assert name not in recorded
    assert email not in recorded


def test_a_user_named_in_the_log_cannot_be_deleted_only_deactivated(coordinator_a):
    """Deleting would set the event's actor to NULL, an update the trigger refuses: who stays recorded."""
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    AuditEvent.objects.create(action="test", actor_user=coordinator_a)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        coordinator_a.delete()
    assert AuditEvent.objects.get(action="test").actor_user_id == coordinator_a.pk
