"""The coordinator's rounds pages through the test client: access, actions, responses and database."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elicitation.models import AuditEvent, Participation, Round, Study
from tests.factories import make_experts, make_round

pytestmark = pytest.mark.django_db


def url(name, round_=None, **kwargs):
    if round_ is not None:
        kwargs.update(study_uuid=round_.study.uuid, round_uuid=round_.uuid)
    return reverse(name, kwargs=kwargs)


def later(days=5):
    return (timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


ROUND_PAGES = ["round-detail", "round-close", "round-plan", "round-moderation"]
ROUND_ACTIONS = ["round-open", "round-deadline", "round-close", "round-invite", "round-remind", "round-plan"]


@pytest.mark.parametrize("name", ROUND_PAGES)
def test_another_coordinator_gets_404_on_every_page(client, coordinator_b, study_a, study_b, name):
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    client.force_login(coordinator_b)
    assert client.get(url(name, round_)).status_code == 404
    assert client.get(url("round-list", study_uuid=study_a.uuid)).status_code == 404


@pytest.mark.parametrize("name", ROUND_ACTIONS)
def test_another_coordinator_cannot_act_on_a_round(client, coordinator_b, study_a, name):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    client.force_login(coordinator_b)
    events = AuditEvent.objects.count()
    assert client.post(url(name, round_), {"deadline": later()}).status_code == 404
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert AuditEvent.objects.count() == events
    assert mail.outbox == []


def test_a_round_of_another_study_under_my_study_is_404(coordinator_client, study_a, study_b):
    other = make_round(study_b)
    assert (
        coordinator_client.get(
            reverse("round-detail", kwargs={"study_uuid": study_a.uuid, "round_uuid": other.uuid})
        ).status_code
        == 404
    )


def test_anonymous_visitors_are_sent_to_log_in(client, study_a):
    response = client.get(url("round-list", study_uuid=study_a.uuid))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["round-open", "round-invite", "round-remind", "round-deadline"])
def test_actions_are_post_only(coordinator_client, study_a, name):
    round_ = make_round(study_a)
    assert coordinator_client.get(url(name, round_)).status_code == 405


def test_actions_need_the_csrf_token(study_a, coordinator_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    assert client.post(url("round-close", round_)).status_code == 403
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN


def test_create_open_invite_remind_close_through_the_pages(
    coordinator_client, study_a, django_capture_on_commit_callbacks
):
    response = coordinator_client.post(url("round-create", study_uuid=study_a.uuid))
    assert response.status_code == 303
    round_ = Round.objects.get(study=study_a)
    assert response["Location"] == url("round-detail", round_)

    page = coordinator_client.get(url("round-detail", round_))
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.content.decode()

    assert coordinator_client.post(url("round-open", round_), {"deadline": later()}).status_code == 303
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator_client.post(url("round-invite", round_)).status_code == 303
    assert len(mail.outbox) == 8

    Participation.objects.filter(round=round_, expert__number__lte=5).update(submitted_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator_client.post(url("round-remind", round_)).status_code == 303
    assert len(mail.outbox) == 3

    confirm = coordinator_client.get(url("round-close", round_))
    assert confirm.status_code == 200
    assert "3 invited experts have not submitted yet." in confirm.content.decode()
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN  # asking for confirmation changes nothing
    assert coordinator_client.post(url("round-close", round_)).status_code == 303
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED


def test_opening_with_a_bad_deadline_is_a_400_with_the_field_error(coordinator_client, study_a):
    round_ = make_round(study_a)
    for bad in ["", "not a date", (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")]:
        response = coordinator_client.post(url("round-open", round_), {"deadline": bad})
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT
    assert not AuditEvent.objects.filter(action="round.open").exists()


def test_an_illegal_transition_is_a_409_with_the_message(coordinator_client, study_a):
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    response = coordinator_client.post(url("round-open", round_), {"deadline": later()})
    assert response.status_code == 409
    assert "a closed round cannot be opened" in response.content.decode()
    assert coordinator_client.post(url("round-close", round_)).status_code == 409
    assert coordinator_client.post(url("round-invite", round_)).status_code == 409


def test_a_coordinator_resends_one_invitation(coordinator_client, study_a, django_capture_on_commit_callbacks):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    expert = study_a.experts.get(number=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(url("round-invite", round_), {"expert": str(expert.uuid)})
    assert response.status_code == 303
    assert [m.to[0] for m in mail.outbox] == [expert.email]


def test_resending_to_an_expert_of_another_study_is_404(coordinator_client, study_a, study_b):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    foreign = study_b.experts.first()
    assert coordinator_client.post(url("round-invite", round_), {"expert": str(foreign.uuid)}).status_code == 404
    assert coordinator_client.post(url("round-invite", round_), {"expert": "nonsense"}).status_code == 400
    assert mail.outbox == []


def test_the_detail_page_shows_participation_per_expert(coordinator_client, study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    Participation.objects.filter(round=round_, expert__number=2).update(
        opened_at=timezone.now(), started_at=timezone.now(), submitted_at=timezone.now()
    )
    study_a.experts.filter(number=4).update(name="<b>王小明</b>")
    body = coordinator_client.get(url("round-detail", round_)).content.decode()
    for number in range(1, 9):
        assert f"E-{number:02d}" in body
    assert "8 experts: 8 invited, 1 opened their link, 1 started, 1 submitted." in body
    assert "&lt;b&gt;王小明&lt;/b&gt;" in body  # names shown exactly, escaped
    assert "<b>王小明</b>" not in body


def test_strict_anonymity_hides_names_on_the_participation_page(coordinator_client, study_a):
    Study.objects.filter(pk=study_a.pk).update(anonymity=Study.Anonymity.STRICT)
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    body = coordinator_client.get(url("round-detail", round_)).content.decode()
    assert "Expert 1" not in body
    assert "E-01" not in body  # counts only: who started when could be matched with a changed result
    assert "participation is shown as counts only" in body


def test_the_list_shows_every_round(coordinator_client, study_a):
    make_round(study_a, status=Round.Status.CLOSED)
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    body = coordinator_client.get(url("round-list", study_uuid=study_a.uuid)).content.decode()
    assert "Round 1" in body
    assert "Round 2" in body
    assert "Create the next round" not in body  # a round is still open


def count_queries(client, path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("name", ["round-detail", "round-plan", "round-moderation", "round-close", "round-list"])
def test_queries_per_page_do_not_grow_with_the_panel(coordinator_client, study_a, coordinator_a, name):
    from elicitation.models import AreaResponse, Suggestion

    status = Round.Status.OPEN if name == "round-close" else Round.Status.CLOSED
    round_ = make_round(study_a, status=status, deadline=timezone.now() + dt.timedelta(days=1))

    areas = list(study_a.areas.all())

    def add_answers(experts):
        Participation.objects.bulk_create(
            [Participation(round=round_, expert=e) for e in experts], ignore_conflicts=True
        )
        AreaResponse.objects.bulk_create(
            AreaResponse(
                round=round_,
                expert=e,
                area=a,
                rationale=f"Because {e.pk}",
                rationale_language="en",
                translation=f"因为 {e.pk}",  # the moderation page names each translator
                translation_language="zh-hans",
                translated_by=coordinator_a,
                translated_at=timezone.now(),
            )
            for e in experts
            for a in areas
        )
        Suggestion.objects.bulk_create(Suggestion(round=round_, expert=e, text="A new area") for e in experts)

    add_answers(study_a.experts.all())
    path = url(name, study_uuid=study_a.uuid) if name == "round-list" else url(name, round_)
    small = count_queries(coordinator_client, path)
    add_answers(make_experts(study_a, 30))
    large = count_queries(coordinator_client, path)
    assert small == large


def test_experts_added_after_opening_are_pointed_out_and_invited(
    coordinator_client, study_a, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=1))
    late = make_experts(study_a, 2)
    body = coordinator_client.get(url("round-detail", round_)).content.decode()
    assert "2 experts joined the panel after this round opened" in body
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(url("round-invite", round_))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.email for e in late)
    assert "joined the panel after" not in coordinator_client.get(url("round-detail", round_)).content.decode()


def test_the_study_page_links_to_the_rounds(coordinator_client, study_a):
    round_ = make_round(study_a)
    body = coordinator_client.get(reverse("study-detail", kwargs={"study_uuid": study_a.uuid})).content.decode()
    assert url("round-list", study_uuid=study_a.uuid) in body
    assert url("round-detail", round_) in body


def test_counts_in_messages_are_plural_or_singular(coordinator_client, study_a):
    """Issue 20: "6 invitation(s)" — each count gets its own grammatical number, in both languages."""
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=5))
    Participation.objects.filter(round=round_).update(invited_at=None)
    page = coordinator_client.post(url("round-invite", round_), follow=True).content.decode()
    assert "8 invitations are being sent." in page
    one = study_a.experts.earliest("number")
    page = coordinator_client.post(url("round-invite", round_), {"expert": str(one.uuid)}, follow=True).content.decode()
    assert "1 invitation is being sent." in page
    assert "(s)" not in page


@pytest.mark.parametrize(
    ("hours", "language", "words"),
    [
        (0, "en", "0 hours before the deadline"),
        (1, "en", "1 hour before the deadline"),
        (48, "en", "48 hours before the deadline"),
        (0, "zh-hans", "截止前 0 小时"),
        (1, "zh-hans", "截止前 1 小时"),
    ],
)
def test_the_reminder_window_says_hours_with_their_number(coordinator_client, study_a, hours, language, words):
    """Issue 20: the round page read "0 hour" before the deadline."""
    study_a.reminder_hours_before_deadline = hours
    study_a.save(update_fields=["reminder_hours_before_deadline"])
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=5))
    page = coordinator_client.get(url("round-detail", round_), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert words in page
