"""One-time personal links (Study.single_use_links): the first exchange wins, every other use is
refused exactly as an unknown link is, on the web and through the API's Invitation scheme.

The race runs on a real PostgreSQL with one connection per thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from elicitation.expert.services import access as expert_access
from elicitation.expert.session import SESSION_KEY
from elicitation.models import AuditEvent, InvitationToken, RefusedAttempts, Study
from elicitation.setup.services.tokens import token_claim, token_issue
from tests.threads import in_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_time(study_a: Study) -> Study:
    Study.objects.filter(pk=study_a.pk).update(single_use_links=True)
    study_a.refresh_from_db()
    return study_a


def refusal(response) -> tuple[int, bytes, str]:
    return response.status_code, response.content, response["Referrer-Policy"]


def test_links_stay_reusable_unless_the_study_asks_for_one_time_links(client, study_a, open_round, link_a):
    assert not study_a.single_use_links  # the default keeps existing studies as they were
    assert client.get(link_a).status_code == 302
    assert Client().get(link_a).status_code == 302


def test_a_one_time_link_opens_one_session_and_then_fails_like_an_unknown_one(one_time, open_round, link_a):
    first = Client()
    assert first.get(link_a).status_code == 302
    again, unknown = Client().get(link_a), Client().get(f"/e/{InvitationToken.new_secret()}/")
    assert refusal(again) == refusal(unknown)
    assert again.status_code == 404
    assert "sessionid" not in again.cookies
    assert first.get("/e/").status_code == 200  # the winner's session goes on working
    assert b"/e/new-link/" in again.content  # the refusal says how to get a new link
    refused = AuditEvent.objects.filter(action="expert.link_refused")
    assert refused.count() == 1  # the reused link is told apart in the log
    assert refused.get().study == one_time
    assert RefusedAttempts.objects.get().count == 1  # the unknown one is a guess, counted for its address
    assert InvitationToken.objects.get().use_count == 1


def test_the_api_invitation_scheme_refuses_a_used_one_time_link(one_time, open_round, expert_a, link_a):
    secret = link_a.strip("/").split("/")[-1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Invitation {secret}")
    assert api.get("/api/v1/me/ratings/").status_code == 200  # the first use claims the link
    second = api.get("/api/v1/me/ratings/")
    assert second.status_code == 401
    assert Client().get(link_a).status_code == 404  # nor can it be exchanged for a session afterwards
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert_a)}")
    assert Client().get(f"/e/{token_issue(expert=expert_a)}/").status_code == 302
    assert other.get("/api/v1/me/ratings/").status_code == 200
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION=f"Invitation {InvitationToken.new_secret()}")
    refused = unknown.get("/api/v1/me/ratings/")
    assert (refused.status_code, refused.json()) == (second.status_code, second.json())
    assert AuditEvent.objects.filter(action="expert.link_refused", detail__via="api").count() == 1
    assert RefusedAttempts.objects.get(action="expert.invitation_refused").count == 1


def test_a_link_used_before_one_time_links_were_turned_on_counts_as_used(study_a, open_round, link_a):
    assert Client().get(link_a).status_code == 302
    Study.objects.filter(pk=study_a.pk).update(single_use_links=True)
    assert Client().get(link_a).status_code == 404


# The race, with real threads and connections.


def expert_sessions() -> int:
    return sum(1 for session in Session.objects.all() if SESSION_KEY in session.get_decoded())


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_exchanges_of_a_one_time_link_let_exactly_one_win(one_time, open_round, link_a, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the race is tested on a real PostgreSQL; set DATABASE_URL")
    first_claimed, second_claiming = threading.Event(), threading.Event()
    times: dict[str, float] = {}

    def slow_claim(*, token: InvitationToken) -> bool:
        """The first claim holds its row lock a while, so the second one must wait on it."""
        if not first_claimed.is_set():
            won = token_claim(token=token)
            first_claimed.set()
            second_claiming.wait(5)
            time.sleep(0.5)  # the second exchange is now blocked on the row
            times["first_commits"] = time.monotonic()
            return won
        second_claiming.set()
        won = token_claim(token=token)
        times["second_claimed"] = time.monotonic()
        return won

    monkeypatch.setattr(expert_access, "token_claim", slow_claim)
    clients = {"first": Client(REMOTE_ADDR="198.51.100.1"), "second": Client(REMOTE_ADDR="198.51.100.2")}
    results: dict[str, object] = {}

    def exchange(name: str) -> Callable[[], object]:
        def run() -> object:
            if name == "second":
                first_claimed.wait(5)
            return clients[name].get(link_a).status_code

        return run

    threads = [in_thread(exchange(name), results, name) for name in clients]
    for thread in threads:
        thread.join(20)

    assert results == {"first": 302, "second": 404}
    assert times["second_claimed"] >= times["first_commits"]  # the second claim waited for the first
    assert expert_sessions() == 1
    assert AuditEvent.objects.filter(action="expert.link_opened").count() == 1
    assert AuditEvent.objects.filter(action="expert.link_refused", target="198.51.100.2").count() == 1
    assert InvitationToken.objects.get().use_count == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_many_links_each_opened_by_two_clients_at_once_have_one_winner_each(one_time, open_round):
    if connection.vendor != "postgresql":
        pytest.skip("the race is tested on a real PostgreSQL; set DATABASE_URL")
    links = [f"/e/{token_issue(expert=expert)}/" for expert in one_time.experts.all()]
    start = threading.Barrier(len(links) * 2)
    results: dict[str, object] = {}

    def exchange(link: str, number: int) -> Callable[[], object]:
        def run() -> object:
            client = Client(REMOTE_ADDR=f"198.51.100.{number}")
            start.wait(10)
            return client.get(link).status_code

        return run

    threads = [
        in_thread(exchange(link, 2 * index + side), results, f"{index}-{side}")
        for index, link in enumerate(links)
        for side in (0, 1)
    ]
    for thread in threads:
        thread.join(30)

    for index in range(len(links)):
        assert {results[f"{index}-0"], results[f"{index}-1"]} == {302, 404}, results
    assert expert_sessions() == len(links)
    assert AuditEvent.objects.filter(action="expert.link_opened").count() == len(links)
    assert AuditEvent.objects.filter(action="expert.link_refused").count() == len(links)
