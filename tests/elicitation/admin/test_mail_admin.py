"""Email jobs in the operator's admin: found by study, kind and status; a failed or stuck job is queued again
through ``email_job_retry``, audited; a young or finished one is refused and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.job_retry import STUCK_AFTER
from elicitation.models import AuditEvent, EmailJob
from tests.admin_support import client_for, fill_study, superuser, viewer  # noqa: F401

pytestmark = pytest.mark.django_db

LIST = "admin:elicitation_emailjob_changelist"


def retry(client, job: EmailJob, capture):
    with capture(execute=True):
        return client.post(reverse(LIST), {"action": "retry", "_selected_action": [job.pk]}, follow=True)


def test_the_list_filters_by_status_and_kind_and_searches_by_study_without_showing_addresses(viewer):  # noqa: F811
    mine, other = fill_study(experts=3, title="Mine"), fill_study(experts=2, title="Other")
    EmailJob.objects.filter(pk=other.email.pk).update(status=EmailJob.Status.FAILED)
    client = client_for(viewer)
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    assert set(page.context["cl"].result_list) == {mine.email, other.email}
    body = page.content.decode()
    assert mine.experts[0].pseudonym in body
    assert mine.experts[0].email not in body  # personal data stays on the expert's page, for superusers
    failed = client.get(reverse(LIST), {"status__exact": "failed"}).context["cl"].result_list
    assert list(failed) == [other.email]
    new_links = client.get(reverse(LIST), {"kind__exact": "new_link"}).context["cl"].result_list
    assert set(new_links) == {mine.email, other.email}
    assert not client.get(reverse(LIST), {"kind__exact": "reminder"}).context["cl"].result_list
    assert list(client.get(reverse(LIST), {"q": "Mine"}).context["cl"].result_list) == [mine.email]


def test_a_failed_job_is_sent_again_and_the_retry_is_audited(
    superuser,  # noqa: F811 - fixture
    eager_celery,
    django_capture_on_commit_callbacks,
):
    filled = fill_study(experts=3)
    job = filled.email
    EmailJob.objects.filter(pk=job.pk).update(
        status=EmailJob.Status.FAILED, error="The mail server refused.", attempts=5, finished_at=timezone.now()
    )
    mail.outbox.clear()
    response = retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    assert "1 email jobs queued again" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.sent, job.error, job.attempts) == (EmailJob.Status.DONE, True, "", 1)
    assert [message.to for message in mail.outbox] == [[filled.experts[0].email]]
    event = AuditEvent.objects.get(action="email.job_retry")
    assert (event.actor_user_id, event.study_id, event.actor_expert_id) == (superuser.pk, filled.study.pk, None)
    assert event.detail["pseudonym"] == filled.experts[0].pseudonym
    assert (event.target, event.detail["previous_status"], event.detail["kind"]) == (str(job.pk), "failed", "new_link")


@pytest.mark.parametrize("status", [EmailJob.Status.QUEUED, EmailJob.Status.RUNNING])
def test_a_job_stuck_for_longer_than_the_limit_is_retried(
    superuser,  # noqa: F811 - fixture
    status,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    job = fill_study(experts=3).email
    long_ago = timezone.now() - STUCK_AFTER - dt.timedelta(minutes=1)
    EmailJob.objects.filter(pk=job.pk).update(status=status, created_at=long_ago, started_at=long_ago)
    retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == EmailJob.Status.DONE
    assert AuditEvent.objects.filter(action="email.job_retry").count() == 1


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (EmailJob.Status.QUEUED, "still queued; retry it only when it has not moved for 15 minutes"),
        (EmailJob.Status.RUNNING, "still running; retry it only when it has not moved for 15 minutes"),
        (EmailJob.Status.DONE, "This email job finished; there is nothing to retry."),
    ],
)
def test_a_young_or_finished_job_is_refused_with_the_reason_and_nothing_changes(
    superuser,  # noqa: F811
    status,
    says,
    django_capture_on_commit_callbacks,
):
    job = fill_study(experts=3).email
    EmailJob.objects.filter(pk=job.pk).update(status=status, started_at=timezone.now())
    before = EmailJob.objects.filter(pk=job.pk).values().get()
    response = retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    assert says in response.content.decode()
    assert EmailJob.objects.filter(pk=job.pk).values().get() == before
    assert not AuditEvent.objects.filter(action="email.job_retry").exists()


def test_a_job_just_retried_waits_the_limit_before_another_retry(superuser, django_capture_on_commit_callbacks):  # noqa: F811
    job = fill_study(experts=3).email
    long_ago = timezone.now() - STUCK_AFTER - dt.timedelta(minutes=1)
    EmailJob.objects.filter(pk=job.pk).update(status=EmailJob.Status.QUEUED, created_at=long_ago)
    client = client_for(superuser)
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not picked it up yet
        client.post(reverse(LIST), {"action": "retry", "_selected_action": [job.pk]})
    response = retry(client, job, django_capture_on_commit_callbacks)
    assert "still queued" in response.content.decode()
    assert AuditEvent.objects.filter(action="email.job_retry").count() == 1


def test_staff_who_may_only_view_are_not_offered_the_retry(viewer):  # noqa: F811
    job = fill_study(experts=3).email
    EmailJob.objects.filter(pk=job.pk).update(status=EmailJob.Status.FAILED)
    response = client_for(viewer).post(reverse(LIST), {"action": "retry", "_selected_action": [job.pk]})
    assert EmailJob.objects.get(pk=job.pk).status == EmailJob.Status.FAILED
    assert not AuditEvent.objects.filter(action="email.job_retry").exists()
    assert response.status_code in (200, 403)
