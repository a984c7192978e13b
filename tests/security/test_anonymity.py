"""Anonymity (issue 8): nothing an expert can reach carries another expert's identity or single rating.

The sweep requests every route of the URL configuration (so a new route is covered without a change
here) as one expert of study A, by their link's session and by ``Authorization: Invitation``, in every
state of the expert's round: before consent, round open with feedback, after submitting, round closed.
Every body and header is scanned for the markers of every other expert (``tests.security.anonymity``),
for free text that must stay hidden, and for times to the second. Error pages and the emails experts
receive are scanned the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from elicitation.expert.services.answers import AnswerInput, answers_save
from elicitation.models import (
    AreaResponse,
    EmailJob,
    Participation,
    PilotResponse,
    Rating,
    Round,
    SavedTemplate,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from elicitation.rounds.services.invitations import invitation_deliver, reminder_deliver
from elicitation.rounds.services.lifecycle import round_close
from exports.models import ExportJob
from tests.access.routes import Route, all_routes, email_sending, unnamed_route_url
from tests.quantities.conftest import make_question
from tests.security.anonymity import (
    BIG,
    LONE,
    MIDDLE,
    OTHER_TIME,
    OWN_TIME,
    World,
    build_world,
    exact_times,
    leaks,
    time_markers,
)

pytestmark = pytest.mark.django_db

# Routes never requested in the sweep: logging out would end the session mid-sweep (it is requested last).
NOT_POSTED = {"logout", "account_logout"}  # account_logout: the same view under allauth's name
# Exports, stored results and the dashboard: an expert is refused (a redirect goes to the login page).
REFUSED = {302, 401, 403, 404, 405}
COORDINATOR_DATA = ("export", "table", "aggregate", "dashboard", "participation", "results-summary")


@pytest.fixture
def world(coordinator_a, coordinator_b) -> World:
    return build_world(coordinator_a, coordinator_b)


def forbidden(world: World) -> dict[str, str]:
    """Everything that belongs to someone else, and the times of day that would date their answers."""
    markers = world.other_markers()
    markers.update(time_markers(OTHER_TIME, "another expert's time"))
    markers.update(time_markers(OWN_TIME, "my exact submission time"))
    return markers


def route_values(world: World, coordinator_a: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """URL values pointing at study A's objects, and at another expert wherever an expert is named."""
    from api.services import api_token_create

    other = world.others[0].expert
    response = AreaResponse.objects.filter(round=world.previous, expert=other).first()
    token, _secret = api_token_create(user=coordinator_a, name="laptop")
    template = SavedTemplate.objects.create(owner=coordinator_a, title="Kept", definition={"study": {"title": "Kept"}})
    pilot = PilotResponse.objects.create(round=world.current, tester=coordinator_a, language="en")
    endpoint = WebhookEndpoint.objects.create(
        study=world.study, url="https://hooks.example.org/in", secret="s", events=[WebhookEvent.ROUND_CLOSED]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=world.current.uuid, event=WebhookEvent.ROUND_CLOSED, payload={}
    )
    job = ExportJob.objects.create(
        study=world.study, requested_by=coordinator_a, format=ExportJob.Format.CSV, table=ExportJob.Table.RATINGS
    )
    values = {
        "token_uuid": token.uuid,
        "job_uuid": job.uuid,
        "table": "ratings",
        "response_id": response.pk if response else 1,
        "study_uuid": world.study.uuid,
        "area_uuid": world.study.areas.earliest("order").uuid,
        "criterion_uuid": world.study.criteria.earliest("order").uuid,
        "expert_uuid": other.uuid,
        "round_uuid": world.current.uuid,
        "question_uuid": make_question(world.study, "q-anonymity").uuid,
        "kind": "dtt",
        "quantity_table": "pooled",
        "round_number": world.current.number,
        "round_id": world.current.pk,
        "chart": "map",
        "token": world.me.secret,
        "uidb64": "MQ",
        "token_reset": "set-password",
        # Django's admin (the expert is no user: every page there sends them to its log-in).
        "object_id": coordinator_a.pk,
        "id": coordinator_a.pk,
        "content_type_id": 1,
        "app_label": "auth",
        "url": "no-such-page/",
        "provider_id": "uni",  # institutional sign-in (no provider configured: 404)
        "template_uuid": template.uuid,
        "member_uuid": world.study.memberships.order_by("pk").values_list("uuid", flat=True).first(),
        "pilot_uuid": pilot.uuid,
        "endpoint_uuid": endpoint.uuid,
        "delivery_uuid": delivery.uuid,
    }
    per_route = {
        "api-v1:study-detail": world.study.uuid,
        "api-v1:study-table": world.study.uuid,
        "api-v1:area-detail": values["area_uuid"],
        "api-v1:criterion-detail": values["criterion_uuid"],
        "api-v1:expert-detail": other.uuid,
        "api-v1:round-detail": world.current.uuid,
        "api-v1:export-detail": job.uuid,
        "api-v1:export-download": job.uuid,
        "api-v1:round-open": world.current.uuid,
        "api-v1:round-close": world.current.uuid,
        "api-v1:study-experts-import": world.study.uuid,
        "api-v1:study-rule": world.study.uuid,
        "api-v1:round-plan-next": world.current.uuid,
        "api-v1:round-invitations": world.current.uuid,
        "api-v1:round-reminders": world.current.uuid,
        "api-v1:email-job-detail": email_sending(study=world.study, round_=world.current, coordinator=coordinator_a),
        "api-v1:study-results-summary": world.study.uuid,
        "api-v1:token-revoke": token.uuid,
        "api-v1:study-definition": world.study.uuid,
        "api-v1:study-duplicate": world.study.uuid,
        "api-v1:study-save-template": world.study.uuid,
        "api-v1:round-schedule": world.current.uuid,
        "api-v1:round-pilot-runs": world.current.uuid,
        "api-v1:template-detail": template.uuid,
        "api-v1:template-start": template.uuid,
        "api-v1:pilot-run-detail": pilot.uuid,
        # Between rounds (issue 20 item 10): another expert's reason, and that expert.
        "api-v1:study-add-area": world.study.uuid,
        "api-v1:study-suggestions": world.study.uuid,
        "api-v1:area-reword": values["area_uuid"],
        "api-v1:expert-erase": other.uuid,
        "api-v1:round-rationales": world.previous.uuid,
        "api-v1:rationale-hide": response.uuid if response else uuid.uuid4(),
        "api-v1:rationale-unhide": response.uuid if response else uuid.uuid4(),
        "api-v1:rationale-translation": response.uuid if response else uuid.uuid4(),
        "api-v1:round-messages": world.current.uuid,
        "api-v1:round-email-preview": world.current.uuid,
        "api-v1:round-deadline": world.current.uuid,
    }
    return values, per_route


def url_for(route: Route, values: dict[str, Any], per_route: dict[str, Any]) -> str:
    kwargs = dict(values)
    if route.name in per_route:
        kwargs["uuid"] = per_route[route.name]
    if route.name == "password_reset_confirm":
        kwargs["token"] = values["token_reset"]
    unknown = [name for name in route.kwargs if name not in kwargs]
    assert not unknown, f"{route.name}: add a value for {unknown} to route_values"
    if route.name.startswith("unnamed "):
        return unnamed_route_url(route, kwargs)
    return reverse(route.name, kwargs={name: kwargs[name] for name in route.kwargs})


def text_of(response: Any) -> str:
    """Everything a response tells: headers and body (streamed or not)."""
    return headers_of(response) + "\n\n" + body_of(response)


# Headers that hold the server's clock at the moment of the response (never_cache sets Expires to now):
# a time of day in them says nothing about anyone, and matches a marker when the second happens to agree.
CLOCK_HEADERS = {"date", "expires", "last-modified"}


def headers_of(response: Any) -> str:
    cookies = "\n".join(f"{name}={morsel.value}" for name, morsel in response.cookies.items())
    headers = [f"{name}: {value}" for name, value in response.items() if name.lower() not in CLOCK_HEADERS]
    return "\n".join(headers) + "\n" + cookies


def body_of(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode(errors="replace")


class Sweep:
    """Requests as the expert, each response scanned; ``problems`` lists what leaked where."""

    def __init__(self, world: World, markers: dict[str, str]) -> None:
        self.world = world
        self.markers = markers
        self.problems: list[str] = []
        self.surfaces: set[str] = set()
        self.seen_feedback = False  # a page showed the group's answers and reasons: the sweep saw feedback

    def check(self, label: str, response: Any) -> None:
        """Markers anywhere; times to the second in the body (headers carry the server's clock: Date, cookies)."""
        self.surfaces.add(label.split(" [")[0])
        body = body_of(response)
        self.seen_feedback |= "By bloc" in body and self.world.visible_rationales[0] in body
        self.problems += [f"{label}: {found}" for found in leaks(headers_of(response) + body, self.markers)]
        self.problems += [f"{label}: a time to the second {found!r}" for found in exact_times(body)]

    def request(self, client: Client, method: str, url: str, label: str, **extra: Any) -> Any:
        response = getattr(client, method)(url, **extra)
        self.check(f"{method.upper()} {url} [{label}]", response)
        return response

    def every_route(self, client: Client, label: str, values: dict[str, Any], per_route: dict[str, Any]) -> None:
        for route in all_routes():
            url = url_for(route, values, per_route)
            if route.name == "expert-link":
                continue  # opening the link again is the log-in itself; done by log_in
            responses = [self.request(client, "get", url, label)]
            if route.name not in NOT_POSTED:
                responses.append(self.request(client, "post", url, label))
            if any(word in route.name for word in COORDINATOR_DATA):
                for response in responses:
                    refused = response.status_code in REFUSED and "/e/" not in response.get("Location", "")
                    if not refused:
                        self.problems.append(f"{url} [{label}]: an expert got {response.status_code}, not a refusal")


def log_in(client: Client, world: World) -> None:
    response = client.get(reverse("expert-link", kwargs={"token": world.me.secret}))
    assert response.status_code == 302


def invitation_client(world: World) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {world.me.secret}")
    return client


def answer_everything(world: World) -> None:
    items = world.current.items.all()
    answers = [AnswerInput(area_id=i.area_id, criterion_id=i.criterion_id, value=5, cannot_judge=False) for i in items]
    answers_save(expert=world.me.expert, round_id=world.current.pk, answers=answers)


def test_no_url_an_expert_can_reach_carries_another_experts_identity(world, coordinator_a):
    values, per_route = route_values(world, coordinator_a)
    sweep = Sweep(world, forbidden(world))
    client, api = Client(), invitation_client(world)

    log_in(client, world)
    sweep.every_route(client, "before consent", values, per_route)
    sweep.every_route(api, "invitation before consent", values, per_route)

    assert client.post(reverse("expert-consent"), {"consent": "yes"}).status_code == 302
    sweep.every_route(client, "round open, feedback shown", values, per_route)
    sweep.every_route(api, "invitation, round open", values, per_route)
    area, criterion = world.shown_item
    autosave = reverse("expert-autosave", kwargs={"round_uuid": world.current.uuid})
    for item in (world.shown_item, world.pair_item, world.bloc_item):
        field = f"r-{item[0]}-{item[1]}"
        sweep.request(client, "post", autosave, "autosave", data={field: "6"}, HTTP_HX_REQUEST="true")
    sweep.request(client, "post", autosave, "autosave, bad value", data={f"r-{area}-{criterion}": "99"})
    sweep.request(
        api,
        "put",
        reverse("api-v1:me-ratings"),
        "invitation, saving",
        data={
            "answers": [
                {
                    "area": str(world.study.areas.earliest("order").uuid),
                    "criterion": str(world.study.criteria.earliest("order").uuid),
                    "value": 3,
                }
            ]
        },
        format="json",
    )

    answer_everything(world)
    post = reverse("expert-round-post", kwargs={"round_uuid": world.current.uuid})
    sweep.request(client, "post", post, "submit", data={"action": "submit"}, follow=True)
    sweep.every_route(client, "after submit", values, per_route)
    sweep.every_route(api, "invitation, after submit", values, per_route)

    round_close(round=world.current, user=coordinator_a)
    sweep.every_route(client, "round closed", values, per_route)
    sweep.every_route(api, "invitation, round closed", values, per_route)
    sweep.request(client, "post", reverse("logout"), "logging out")

    assert not sweep.problems, "\n".join(sorted(set(sweep.problems)))
    assert sweep.seen_feedback
    requested = {label.split(" ", 1)[1] for label in sweep.surfaces}
    unswept = [
        route.name
        for route in all_routes()
        if route.name != "expert-link" and url_for(route, values, per_route) not in requested
    ]
    assert not unswept, unswept


def test_error_pages_carry_no_identity(world, coordinator_a, settings, monkeypatch):
    sweep = Sweep(world, forbidden(world))
    client = Client(raise_request_exception=False)
    log_in(client, world)
    client.post(reverse("expert-consent"), {"consent": "yes"})
    unknown_round = reverse("expert-autosave", kwargs={"round_uuid": uuid.uuid4()})
    assert sweep.request(client, "post", unknown_round, "404 round").status_code == 404
    assert sweep.request(client, "get", "/no-such-page/", "404 page").status_code == 404
    assert sweep.request(client, "get", f"/e/{world.others[0].secret[:-2]}xx/", "404 link").status_code == 404
    field = "r-{}-{}".format(*world.shown_item)
    autosave = reverse("expert-autosave", kwargs={"round_uuid": world.current.uuid})
    assert sweep.request(client, "post", autosave, "400", data={field: "99"}).status_code == 400
    assert sweep.request(Client(), "get", reverse("expert-round"), "403 no session").status_code == 403
    settings.MAX_REQUEST_BYTES = 2048
    too_big = Client().generic("POST", autosave, b"", CONTENT_LENGTH="999999")  # built after the setting
    sweep.check("POST 413", too_big)
    assert too_big.status_code == 413
    from core import ratelimit

    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one rate-limit window
    guesser = Client()
    statuses = {
        sweep.request(guesser, "get", f"/e/{secrets.token_urlsafe(32)}/", "429", REMOTE_ADDR="203.0.113.9").status_code
        for _ in range(settings.LINK_RATE_LIMIT + 1)
    }
    assert 429 in statuses

    import elicitation.expert.views.pages as views

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError(f"broken while showing {world.others[0].expert.name}")

    monkeypatch.setattr(views, "round_form", broken)
    assert sweep.request(client, "get", reverse("expert-round"), "500").status_code == 500
    assert not sweep.problems, "\n".join(sweep.problems)


def test_the_emails_an_expert_receives_name_only_them(world):
    """Invitations (first and again) and reminders, rendered by the services the mail tasks call."""
    everyone = [world.me, *world.others[: world.study.experts.count() - 1]]
    now = timezone.now()
    for person in everyone:
        participation = Participation.objects.get(round=world.current, expert=person.expert)
        Participation.objects.filter(pk=participation.pk).update(invited_at=None, submitted_at=None)
        assert invitation_deliver(round_id=world.current.pk, expert_id=person.expert.pk)
        assert invitation_deliver(round_id=world.current.pk, expert_id=person.expert.pk, resend=True)
        Participation.objects.filter(pk=participation.pk).update(last_reminded_at=None)
        assert reminder_deliver(participation_id=participation.pk, not_reminded_since=now)
    assert len(mail.outbox) == 3 * len(everyone)

    links = {message.to[0]: set(re.findall(r"/e/([\w-]{20,})/", str(message.body))) for message in mail.outbox}
    problems = []
    for message in mail.outbox:
        assert len(message.to) == 1
        assert not message.cc
        assert not message.bcc
        recipient = message.to[0]
        markers = {
            f"{person.expert.pseudonym}/{what}": text
            for person in [world.me, *world.others]
            if person.expert.email != recipient
            for what, text in person.markers.items()
            if what not in ("suggestion", "rationale")
        }
        markers.update(world.shared_markers)
        markers.update(time_markers(OTHER_TIME, "another expert's time"))
        for other, found in links.items():
            if other != recipient:
                markers.update({f"{other}'s link": secret for secret in found})
        assert isinstance(message, EmailMultiAlternatives)
        text = "\n".join(
            [str(message.subject), str(message.body), *(str(body) for body, _kind in message.alternatives)]
            + [f"{name}: {value}" for name, value in message.extra_headers.items()]
        )
        problems += [f"{message.subject} to {recipient}: {found}" for found in leaks(text, markers)]
    assert not problems, "\n".join(problems)


def test_the_results_summary_names_nobody_and_shows_no_figure_of_a_pair(world, coordinator_a):
    """The summary at the study's end (issue 20): its final round answered as round 1 was, a pair included."""
    from elicitation.expert.services.results_summary import results_summary_deliver, results_summary_send

    answered = Rating.objects.filter(round=world.previous)
    Rating.objects.bulk_create(
        Rating(
            round=world.current, expert_id=r.expert_id, area_id=r.area_id, criterion_id=r.criterion_id, value=r.value
        )
        for r in answered
    )
    for expert_id in set(answered.values_list("expert_id", flat=True)):
        Participation.objects.update_or_create(
            round=world.current, expert_id=expert_id, defaults={"submitted_at": OTHER_TIME}
        )
    round_close(round=world.current, user=coordinator_a)
    results_summary_send(study=world.study, user=coordinator_a)
    for job in EmailJob.objects.filter(kind=EmailJob.Kind.RESULTS_SUMMARY):
        results_summary_deliver(job_id=job.pk)
    assert len(mail.outbox) == world.study.experts.filter(participations__round=world.current).distinct().count() > 5

    problems = []
    for message in mail.outbox:
        recipient = message.to[0]
        markers = {
            f"{person.expert.pseudonym}/{what}": text
            for person in [world.me, *world.others]
            if person.expert.email != recipient
            for what, text in person.markers.items()
        }
        markers.update(world.shared_markers)
        markers.update({"a bloc": BIG, "another bloc": MIDDLE})  # the summary names no bloc at all
        markers.update(time_markers(OTHER_TIME, "another expert's time"))
        assert isinstance(message, EmailMultiAlternatives)
        text = "\n".join(
            [str(message.subject), str(message.body), *(str(body) for body, _kind in message.alternatives)]
        )
        problems += [f"{message.subject} to {recipient}: {found}" for found in leaks(text, markers)]
        for rationale in world.visible_rationales:  # nobody's reasons, not even those the feedback shows
            assert rationale not in text
    assert not problems, "\n".join(problems)

    mine = next(message for message in mail.outbox if message.to[0] == world.me.expert.email)
    pair_criterion = world.study.criteria.get(pk=world.pair_item[1]).title
    pair_area = world.study.areas.get(pk=world.pair_item[0]).title
    pair_block = str(mine.body).split(pair_area)[1].split("\n\n")[0]
    assert f"{pair_criterion}: not shown" in pair_block
    assert "Verdict: not shown" in pair_block
    assert "median" not in pair_block.split(pair_criterion)[1].split("\n")[0]

    client = Client()
    link = re.search(r"/e/[\w-]{20,}/\?to=summary", str(mine.body))
    assert link is not None
    client.get(link.group(0))
    page = client.get(reverse("expert-summary"))
    assert page.status_code == 200
    body = page.content.decode()
    assert not leaks(body, forbidden(world) | {"a bloc": BIG, "another bloc": MIDDLE})
    assert not exact_times(body)


# --- Feedback: no statistic that gives away one other person's rating, no bloc below k ---------------


def feedback_block(page: str, item: tuple[int, int]) -> str:
    start = page.index(f'id="fb-item-{item[0]}-{item[1]}"')
    end = page.find('<fieldset class="item', start)
    return page[start : end if end > 0 else len(page)]


def rationales_block(page: str, area_id: int) -> str:
    start = page.index(f'id="rationales-{area_id}"')
    return page[start : page.index("</div>", start)]


def test_feedback_shows_no_statistic_of_a_pair_and_no_bloc_below_k(world):
    client = Client()
    log_in(client, world)
    client.post(reverse("expert-consent"), {"consent": "yes"})
    answer_everything(world)  # the study shows feedback after one's own rating
    page = client.get(reverse("expert-round")).content.decode()

    pair = feedback_block(page, world.pair_item)
    assert "Fewer than 5 experts answered" in pair
    assert "<svg" not in pair
    assert "<table" not in pair
    assert "9" not in re.sub(r"<[^>]+>|item-\d+-\d+", "", pair)

    shown = feedback_block(page, world.shown_item)
    assert "<svg" in shown  # the panel of 12 is shown, and of its blocs (6, 5 and 1) only the six:
    assert BIG in shown  # the lone expert is withheld, and with them the five, so the panel minus
    assert MIDDLE not in shown  # the six gives six ratings pooled, neither the five nor the one
    assert LONE not in shown

    by_bloc = feedback_block(page, world.bloc_item)
    assert "By bloc" in by_bloc
    assert BIG in by_bloc
    assert MIDDLE in by_bloc
    assert LONE not in page


def test_rationales_are_shown_without_author_or_bloc_and_never_when_hidden_or_few(world):
    client = Client()
    log_in(client, world)
    client.post(reverse("expert-consent"), {"consent": "yes"})
    answer_everything(world)  # the study shows feedback after one's own rating
    page = client.get(reverse("expert-round")).content.decode()
    areas = list(world.study.areas.order_by("order").values_list("pk", flat=True))

    shown = rationales_block(page, areas[0])
    for text in world.visible_rationales:
        assert text in shown
    assert world.shared_markers["hidden rationale"] not in page
    assert not leaks(shown, {"bloc": BIG, "bloc 2": MIDDLE, "bloc 3": LONE, **world.other_markers()})

    few = rationales_block(page, areas[1])
    assert "Too few experts answered this area" in few
    assert world.shared_markers["suppressed rationale"] not in page


def test_my_own_answer_times_are_given_to_the_day_at_most(world):
    answer_everything(world)
    Rating.objects.filter(expert=world.me.expert).update(updated_at=OWN_TIME)
    Participation.objects.filter(expert=world.me.expert).update(submitted_at=OWN_TIME, started_at=OWN_TIME)
    api = invitation_client(world)
    body = api.get(reverse("api-v1:me-ratings")).json()
    assert {rating["updated_on"] for rating in body["ratings"]} == {"2025-02-14"}  # the day in UTC, no time
    assert not exact_times(str(body))
    assert not leaks(str(body), time_markers(OWN_TIME, "mine"))
    client = Client()
    log_in(client, world)
    client.post(reverse("expert-consent"), {"consent": "yes"})
    for name in ("expert-start", "expert-round", "expert-thanks"):
        page = client.get(reverse(name)).content.decode()
        assert not exact_times(page)
        assert not leaks(page, time_markers(OWN_TIME, "mine"))


def test_round_state_fixture_is_as_described(world):
    assert world.previous.status == Round.Status.CLOSED
    assert world.current.status == Round.Status.OPEN
    assert world.study.experts.filter(bloc=LONE).count() == 1


COORDINATOR_TIME = dt.datetime(2025, 2, 12, 9, 0, tzinfo=dt.UTC)


def test_coordinators_see_the_day_of_an_experts_steps_never_the_time(world, coordinator_a):
    """Exact times could be matched against the moment a live result changed; the day is enough for reminders."""
    from tests.api.helpers import token_client

    # The coordinator's own steps (opening the round, invitations, reminders) are not the expert's: fixed,
    # so the clock of the test run (its minute or second may well be 47) cannot look like OTHER_TIME.
    Participation.objects.update(last_reminded_at=None, invited_at=COORDINATOR_TIME)
    Round.objects.filter(pk=world.current.pk).update(opened_at=COORDINATOR_TIME)
    api = token_client(coordinator_a)
    rows = api.get(reverse("api-v1:participation-list"), {"round": str(world.current.uuid)}).json()["results"]
    others = [row for row in rows if row["expert"] != str(world.me.expert.uuid)]
    assert others
    assert {row["submitted_on"] for row in others} == {"2025-02-13"}
    assert {row["opened_on"] for row in others} == {"2025-02-13"}
    client = Client()
    client.force_login(coordinator_a)
    url = reverse("round-detail", kwargs={"study_uuid": world.study.uuid, "round_uuid": world.current.uuid})
    for body in (str(rows), client.get(url).content.decode()):
        assert not leaks(body, time_markers(OTHER_TIME, "an expert's time"))
        assert not re.search(r"(?<!\d)\d{1,2}:47(?!\d)", body)  # not even to the minute (OTHER_TIME is 03:47)
