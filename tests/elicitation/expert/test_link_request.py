"""Requesting a new personal link by email: one answer for every address, a link in the expert's
language after commit, a rate limit, and an audit trail that never holds the address."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from core import ratelimit
from elicitation.models import AuditEvent, Expert, Round, Study
from tests.factories import make_round

pytestmark = pytest.mark.django_db
URL = "/e/new-link/"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery: None) -> None:
    """The email job runs in the test's process (the worker path is tested with invitations)."""


def ask(email: str, address: str = "198.51.100.7", **extra):
    return Client(REMOTE_ADDR=address).post(URL, {"email": email}, **extra)


def test_the_page_is_public_and_linked_from_the_refusal_page(client):
    page = client.get(URL)
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()
    assert URL in client.get("/e/not-a-real-link/").content.decode()


def test_the_answer_is_the_same_whether_or_not_the_address_is_on_a_panel(
    study_a, open_round, expert_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(expert_a.email.upper(), address="198.51.100.1")  # addresses match as the panel does
    with django_capture_on_commit_callbacks(execute=True):
        unknown = ask("nobody@example.org", address="198.51.100.2")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert [message.to for message in mail.outbox] == [[expert_a.email]]


def test_the_new_link_is_emailed_after_commit_in_the_experts_language_and_opens_a_session(
    study_a, open_round, expert_a, django_capture_on_commit_callbacks
):
    Expert.objects.filter(pk=expert_a.pk).update(language="zh-hans")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask(expert_a.email)
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "zh-hans"
    assert "新" in message.subject
    link = next(word for word in message.body.split() if "/e/" in word)
    client = Client()
    assert client.get(link[link.index("/e/") :]).status_code == 302
    assert client.get("/e/").status_code == 200


def test_only_experts_of_studies_with_an_open_or_upcoming_round_get_a_link(
    study_a, study_b, coordinator_a, django_capture_on_commit_callbacks
):
    expert_a = study_a.experts.earliest("number")
    expert_b = study_b.experts.earliest("number")
    Expert.objects.filter(pk=expert_b.pk).update(email=expert_a.email, email_key=expert_a.email_key)
    make_round(study_a, status=Round.Status.CLOSED)  # study A is over
    make_round(study_b, status=Round.Status.DRAFT)  # study B's next round is still to come
    with django_capture_on_commit_callbacks(execute=True):
        assert ask(expert_a.email).status_code == 200
    (message,) = mail.outbox
    assert study_b.title in message.subject


def test_inactive_and_erased_experts_get_nothing(study_a, open_round, expert_a, django_capture_on_commit_callbacks):
    Expert.objects.filter(pk=expert_a.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert ask(expert_a.email).status_code == 200
    assert mail.outbox == []


def test_requests_are_audited_by_client_address_and_pseudonym_never_by_email(
    study_a, open_round, expert_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(expert_a.email, address="198.51.100.9")
        ask("nobody@example.org", address="198.51.100.9")
    requested = AuditEvent.objects.filter(action="expert.link_requested", target="198.51.100.9")
    assert sorted(event.detail["reached"] for event in requested) == [0, 1]
    assert AuditEvent.objects.filter(action="expert.link_request_queued", actor_expert=expert_a).count() == 1
    sent = AuditEvent.objects.get(action="expert.link_sent")
    assert sent.study == study_a
    assert sent.target == expert_a.pseudonym
    recorded = "".join(f"{e.target}{e.detail}" for e in AuditEvent.objects.all())
    assert expert_a.email not in recorded
    assert "nobody@example.org" not in recorded


def test_each_client_is_rate_limited_and_each_address_silently(
    settings, study_a, open_round, expert_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [ask(expert_a.email, address=f"198.51.100.{n}") for n in range(5)]
    # Past the per-address limit the page is the same, but nothing more is sent.
    assert {response.status_code for response in answers} == {200}
    assert len({response.content for response in answers}) == 1
    assert len(mail.outbox) == settings.LINK_REQUEST_PER_ADDRESS
    for _ in range(settings.LINK_REQUEST_RATE_LIMIT):
        assert ask("someone@example.org", address="203.0.113.5").status_code == 200
    limited = ask("someone@example.org", address="203.0.113.5")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"


def test_a_malformed_address_is_refused_on_the_form(client):
    response = client.post(URL, {"email": "not an address"})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not AuditEvent.objects.filter(action="expert.link_requested").exists()


def test_the_study_setting_is_on_the_form_and_in_the_api(client, coordinator_a, study_a):
    from tests.elicitation.setup.test_views_flows import settings_data

    client.force_login(coordinator_a)
    assert 'name="single_use_links"' in client.get(f"/studies/{study_a.uuid}/settings/").content.decode()
    response = client.post(f"/studies/{study_a.uuid}/settings/", settings_data(study_a, single_use_links="on"))
    assert response.status_code == 302
    assert Study.objects.get(pk=study_a.pk).single_use_links
    event = AuditEvent.objects.get(action="study.settings_changed")
    assert "single_use_links" in event.detail["fields"]
    assert client.get(f"/api/v1/studies/{study_a.uuid}/").json()["single_use_links"] is True
