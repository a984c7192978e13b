"""The results summary e-mailed to the experts at a study's end (issue 20): who gets it, once, what it says."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation.services import round_aggregate
from elicitation.expert.services.results_summary import results_summary_preview, results_summary_send
from elicitation.models import AuditEvent, EmailJob, Participation, Rating, Round, Study
from elicitation.setup.services.erasure import expert_erase
from elicitation.setup.services.panel import expert_deactivate
from tests.factories import make_bilingual_study, make_experts, make_round, make_user, mark_submitted

pytestmark = pytest.mark.django_db

VALUES = [2, 4, 6, 7, 8, 9]
THIN = ("verification", "B1")  # the item only two experts answered: below k = 3, never shown


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery: None) -> None:
    """The email jobs run in the test's process (the worker's own path is tested with the invitations)."""


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``results_summary_send``, its jobs run once its transaction commits."""

    def sending(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return results_summary_send(**kwargs)

    return sending


@pytest.fixture
def jobs_run(django_capture_on_commit_callbacks):
    """Whatever the block queues runs when it ends (as after a request's commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _rate(round_: Round, experts, *, thin: bool) -> None:
    ratings = []
    for item in round_.items.select_related("area", "criterion"):
        is_thin = (item.area.code, item.criterion.code) == THIN
        for index, (expert, value) in enumerate(zip(experts, VALUES, strict=True)):
            if thin and is_thin and index >= 2:
                continue
            ratings.append(
                Rating(
                    round=round_,
                    expert=expert,
                    area_id=item.area_id,
                    criterion_id=item.criterion_id,
                    value=(1 if index == 0 else 3) if (thin and is_thin) else value,
                )
            )
    Rating.objects.bulk_create(ratings)
    mark_submitted(round_, experts)


@pytest.fixture
def ended():
    """A bilingual study (k = 3) that ran two rounds, both closed: six experts answered (three read Chinese),
    one more never submitted; in round 2 one item had only two answers."""
    coordinator = make_user("carol")
    study = make_bilingual_study(coordinator=coordinator, min_group_size=3, contact_email="office@example.org")
    experts = make_experts(study, 6)
    for expert in experts[3:]:
        expert.language = "zh-hans"
        expert.save(update_fields=["language"])
    idle = make_experts(study, 1)[0]
    first = make_round(study, status=Round.Status.CLOSED)
    _rate(first, experts, thin=False)
    final = make_round(study, status=Round.Status.CLOSED)
    _rate(final, experts, thin=True)
    round_aggregate(round_id=final.pk)
    return study, coordinator, experts, idle, final


def _summaries() -> list[EmailMultiAlternatives]:
    """The results summaries sent (their link opens the summary page), each with its HTML version."""
    found = [message for message in mail.outbox if "?to=summary" in str(message.body)]
    assert all(isinstance(message, EmailMultiAlternatives) for message in found)
    return found  # type: ignore[return-value]


def test_each_expert_who_took_part_gets_one_summary_in_their_language(ended, send):
    study, coordinator, experts, idle, final = ended
    queued = send(study=study, user=coordinator)
    assert queued == 6
    sent = _summaries()
    assert sorted(message.to[0] for message in sent) == sorted(expert.email for expert in experts)
    assert idle.email not in {message.to[0] for message in sent}
    by_address = {message.to[0]: message for message in sent}
    english = by_address[experts[0].email]
    chinese = by_address[experts[5].email]
    assert english.subject == "Results: Cooperation between rivals"
    assert "has ended after 2 rounds" in english.body
    assert "Thank you for taking part" in english.body
    assert "round 2" in english.body
    assert english.extra_headers["Content-Language"] == "en"
    assert chinese.extra_headers["Content-Language"] == "zh-hans"
    assert "竞争对手之间的合作" in chinese.subject
    assert "共同协议" in chinese.body  # the Chinese titles
    assert "降低共同的全球风险" in chinese.body
    assert "The Delphi study" not in chinese.body  # the catalogue's Chinese
    assert "Verdict" not in chinese.body
    assert set(EmailJob.objects.filter(kind="summary").values_list("status", "sent")) == {("done", True)}
    assert EmailJob.objects.filter(kind="summary", round=final).count() == 6
    event = AuditEvent.objects.get(action="results_summary.send")
    assert event.detail["experts"] == 6
    assert AuditEvent.objects.filter(action="results_summary.sent").count() == 6


def test_the_figures_are_the_feedback_pages_and_a_thin_item_shows_none(ended, send):
    study, coordinator, experts, _idle, _final = ended
    send(study=study, user=coordinator)
    body = {m.to[0]: m for m in _summaries()}[experts[1].email].body
    html = str({m.to[0]: m for m in _summaries()}[experts[1].email].alternatives[0][0])
    # A full item: the six answers 2, 4, 6, 7, 8, 9 (median 6.5), and the reader's own answer.
    assert "Shared protocols" in body
    assert "Reduction of shared global risk: median 6.5" in body
    assert "(6 answers); your answer: 4" in body
    # The thin item: fewer than k answered, so no median, no quartile, no count; its area shows no verdict.
    lines = [line for line in body.splitlines() if line.startswith("- Reduction of shared global risk")]
    assert len(lines) == 4  # one per area
    thin_lines = [line for line in lines if "not shown" in line]
    assert thin_lines == ["- Reduction of shared global risk: not shown: fewer than 3 experts answered; your answer: 3"]
    verification = body.split("Verification mechanisms")[1].split("Shared protocols")[0]
    assert "Verdict: not shown" in verification
    assert "median 2" not in verification
    assert "2 answers" not in verification
    for text in (body, html):
        for other in experts:
            if other.pk != experts[1].pk:
                assert other.email not in text
                assert other.name not in text
                assert other.pseudonym not in text
        assert "United States" not in text  # no bloc is named
        assert "China" not in text
    assert "Dear Expert 2," in body  # the reader's own name only


def test_sending_twice_emails_nobody_twice_unless_sent_again_explicitly(ended, send):
    study, coordinator, _experts, _idle, _final = ended
    send(study=study, user=coordinator)
    assert send(study=study, user=coordinator) == 0
    assert len(_summaries()) == 6
    assert send(study=study, user=coordinator, resend=True) == 6
    assert len(_summaries()) == 12
    assert AuditEvent.objects.filter(action="results_summary.resend").count() == 1


def test_a_duplicate_job_sends_nothing(ended, send, jobs_run):
    """Two jobs for one expert (two clicks that raced): delivery decides again under the expert's lock."""
    from elicitation.rounds.services.email_jobs import email_jobs_queue

    study, coordinator, experts, _idle, final = ended
    send(study=study, user=coordinator)
    with jobs_run():
        email_jobs_queue(kind=EmailJob.Kind.RESULTS_SUMMARY, expert_ids=[experts[0].pk], round_id=final.pk)
    assert len(_summaries()) == 6
    assert EmailJob.objects.filter(kind="summary", sent=False).count() == 1


def test_erased_and_inactive_experts_get_nothing(ended, send):
    study, coordinator, experts, _idle, _final = ended
    expert_deactivate(expert=experts[0], user=coordinator)
    expert_erase(expert=experts[1], user=coordinator)
    assert send(study=study, user=coordinator) == 4
    addresses = {message.to[0] for message in _summaries()}
    assert experts[0].email not in addresses
    assert len(addresses) == 4


def test_an_expert_who_left_after_the_sending_was_queued_gets_nothing(ended, jobs_run):

    study, coordinator, experts, _idle, _final = ended
    with jobs_run():  # the jobs run after this block, once the expert has left
        results_summary_send(study=study, user=coordinator)
        expert_deactivate(expert=experts[2], user=coordinator)
    assert experts[2].email not in {message.to[0] for message in _summaries()}
    assert len(_summaries()) == 5


def test_no_summary_while_a_round_is_open_or_before_any_closed(ended, send):
    from core.errors import IllegalTransition

    study, coordinator, _experts, _idle, _final = ended
    make_round(study, status=Round.Status.OPEN)
    with pytest.raises(IllegalTransition):
        send(study=study, user=coordinator)
    assert results_summary_preview(study=study, language="en") is None
    fresh = make_bilingual_study(coordinator=coordinator)
    with pytest.raises(IllegalTransition):
        send(study=fresh, user=coordinator)
    assert not _summaries()


def test_the_preview_is_the_email_in_each_language_for_a_stand_in(ended):
    study, _coordinator, _experts, _idle, _final = ended
    english = results_summary_preview(study=study, language="en")
    chinese = results_summary_preview(study=study, language="zh-hans")
    assert english is not None
    assert chinese is not None
    assert english.subject == "Results: Cooperation between rivals"
    assert "median 6.5" in english.text
    assert "your answer" not in english.text
    assert "https://…/e/…/" in english.text
    assert chinese.language == "zh-hans"
    assert "竞争对手之间的合作" in chinese.subject
    assert not mail.outbox


# The pages: the coordinator's preview and sending, and the expert's summary reached from the e-mail.


def _page(study: Study) -> str:
    return f"/studies/{study.uuid}/results-summary/"


def test_the_coordinator_previews_in_either_language_and_sends_on_confirmation(client, ended, jobs_run):
    study, coordinator, _experts, _idle, _final = ended
    client.force_login(coordinator)
    page = client.get(_page(study))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Results: Cooperation between rivals" in text
    assert "6 of them have not received it yet" in text
    chinese = client.get(_page(study) + "?language=zh-hans").content.decode()
    assert "竞争对手之间的合作" in chinese
    refused = client.post(_page(study), {})
    assert refused.status_code == 400
    assert not mail.outbox
    with jobs_run():
        sent = client.post(_page(study), {"confirm": "yes"}, follow=True)
    assert sent.status_code == 200
    assert "The summary is on its way to 6 experts." in sent.content.decode()
    assert "0 of them have not received it yet" in sent.content.decode()
    assert len(_summaries()) == 6
    with jobs_run():
        client.post(_page(study), {"confirm": "yes"})
    assert len(_summaries()) == 6
    with jobs_run():
        client.post(_page(study), {"confirm": "yes", "resend": "yes"})
    assert len(_summaries()) == 12


def test_the_rounds_pages_offer_the_summary_only_once_the_study_ended(client, ended):
    study, coordinator, _experts, _idle, _final = ended
    client.force_login(coordinator)
    assert _page(study) in client.get(f"/studies/{study.uuid}/rounds/").content.decode()
    final = study.rounds.get(number=2)
    assert _page(study) in client.get(f"/studies/{study.uuid}/rounds/{final.uuid}/").content.decode()
    first = study.rounds.get(number=1)
    assert _page(study) not in client.get(f"/studies/{study.uuid}/rounds/{first.uuid}/").content.decode()
    make_round(study, status=Round.Status.OPEN)
    assert _page(study) not in client.get(f"/studies/{study.uuid}/rounds/").content.decode()
    assert _page(study) not in client.get(f"/studies/{study.uuid}/rounds/{final.uuid}/").content.decode()
    page = client.get(_page(study)).content.decode()
    assert "The study has not ended" in page
    assert client.post(_page(study), {"confirm": "yes"}).status_code == 409


@pytest.mark.parametrize("role", ["analyst", "observer", "outsider"])
def test_only_a_coordinator_reaches_the_summary_page(client, ended, role):
    from tests.factories import add_member

    study, _coordinator, _experts, _idle, _final = ended
    user = make_user(role)
    if role != "outsider":
        add_member(study, user, role)
    client.force_login(user)
    assert client.get(_page(study)).status_code == 404
    assert client.post(_page(study), {"confirm": "yes"}).status_code == 404
    assert not mail.outbox


def test_the_coordinators_page_runs_a_fixed_number_of_queries(client, ended):
    study, coordinator, _experts, _idle, _final = ended
    client.force_login(coordinator)
    client.get(_page(study))
    with CaptureQueriesContext(connection) as small:
        client.get(_page(study))
    more = make_experts(study, 9)
    final = study.rounds.get(number=2)
    Rating.objects.bulk_create(
        Rating(round=final, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
        for expert in more
        for item in final.items.all()
    )
    # Invited to the final round as the services invite (experts added later have no participation in it).
    Participation.objects.bulk_create(
        Participation(round=final, expert=expert, invited_at=final.opened_at) for expert in more
    )
    mark_submitted(final, more)
    with CaptureQueriesContext(connection) as large:
        client.get(_page(study))
    assert len(large) == len(small)


def test_the_emails_link_opens_the_experts_summary_page(client, ended, send):
    study, coordinator, experts, _idle, _final = ended
    experts[4].consented_at = experts[4].created_at
    experts[4].save(update_fields=["consented_at"])
    send(study=study, user=coordinator)
    message = {m.to[0]: m for m in _summaries()}[experts[4].email]
    link = re.search(r"https?://\S+/e/\S+\?to=summary", str(message.body))
    assert link is not None
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    opened = client.get("/" + path)
    assert opened.status_code == 302
    assert opened["Location"] == "/e/summary/"
    page = client.get("/e/summary/")
    assert page.status_code == 200
    body = page.content.decode()
    assert page["Content-Language"] == "zh-hans"
    assert "竞争对手之间的合作" in body
    assert "中位数" in body or "6.5" in body
    assert experts[0].email not in body
    assert "E-01" not in body


def test_the_summary_page_shows_nothing_to_an_expert_not_sent_it(client, ended):
    from elicitation.setup.services.tokens import token_issue

    _study, _coordinator, experts, _idle, _final = ended
    experts[0].consented_at = experts[0].created_at
    experts[0].save(update_fields=["consented_at"])
    client.get(f"/e/{token_issue(expert=experts[0])}/?to=summary")
    response = client.get("/e/summary/")
    assert response.status_code == 302
    assert response["Location"] == "/e/round/"


def test_the_experts_summary_page_runs_a_fixed_number_of_queries(client, ended, send):
    from elicitation.setup.services.tokens import token_issue

    study, coordinator, experts, _idle, final = ended
    experts[0].consented_at = experts[0].created_at
    experts[0].save(update_fields=["consented_at"])
    send(study=study, user=coordinator)
    client.get(f"/e/{token_issue(expert=experts[0])}/?to=summary")
    client.get("/e/summary/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/e/summary/").status_code == 200
    more = make_experts(study, 9)
    Rating.objects.bulk_create(
        Rating(round=final, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id, value=5)
        for expert in more
        for item in final.items.all()
    )
    # Invited to the final round as the services invite (experts added later have no participation in it).
    Participation.objects.bulk_create(
        Participation(round=final, expert=expert, invited_at=final.opened_at) for expert in more
    )
    mark_submitted(final, more)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/e/summary/").status_code == 200
    assert len(large) == len(small)
