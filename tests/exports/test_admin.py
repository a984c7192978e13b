"""Export jobs in the operator's admin: a failed or stuck job is queued again through ``export_job_retry``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.job_retry import STUCK_AFTER
from elicitation.models import AuditEvent
from exports.models import ExportJob
from tests.admin_support import client_for, fill_study, superuser  # noqa: F401

pytestmark = pytest.mark.django_db


def retry(client, job: ExportJob, capture):
    with capture(execute=True):
        return client.post(
            reverse("admin:exports_exportjob_changelist"),
            {"action": "retry", "_selected_action": [job.pk]},
            follow=True,
        )


def test_a_failed_job_is_built_again_and_the_retry_is_audited(superuser, django_capture_on_commit_callbacks):  # noqa: F811
    job = fill_study(experts=3).job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error="The export failed; try again.")
    response = retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    assert "1 export jobs queued again" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.DONE, "")
    assert job.rows_written > 0
    event = AuditEvent.objects.get(action="export.job_retry")
    assert (event.actor_user_id, event.study_id, event.target) == (superuser.pk, job.study_id, str(job.uuid))
    assert event.detail["previous_status"] == "failed"


@pytest.mark.parametrize("status", [ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
def test_a_job_stuck_for_longer_than_the_limit_is_retried(superuser, status, django_capture_on_commit_callbacks):  # noqa: F811
    job = fill_study(experts=3).job
    long_ago = timezone.now() - STUCK_AFTER - dt.timedelta(minutes=1)
    ExportJob.objects.filter(pk=job.pk).update(status=status, created_at=long_ago, started_at=long_ago)
    retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert AuditEvent.objects.filter(action="export.job_retry").count() == 1


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (ExportJob.Status.QUEUED, "still queued; retry it only when it has not moved for 15 minutes"),
        (ExportJob.Status.RUNNING, "still running; retry it only when it has not moved for 15 minutes"),
        (ExportJob.Status.DONE, "its file is ready, there is nothing to retry"),
    ],
)
def test_a_young_or_finished_job_is_refused_with_the_reason_and_nothing_changes(
    superuser,  # noqa: F811
    status,
    says,
    django_capture_on_commit_callbacks,
):
    job = fill_study(experts=3).job
    ExportJob.objects.filter(pk=job.pk).update(status=status, started_at=timezone.now())
    before = ExportJob.objects.filter(pk=job.pk).values().get()
    response = retry(client_for(superuser), job, django_capture_on_commit_callbacks)
    assert says in response.content.decode()
    assert ExportJob.objects.filter(pk=job.pk).values().get() == before
    assert not AuditEvent.objects.filter(action="export.job_retry").exists()


def test_a_job_just_retried_is_not_retried_again_before_the_limit(superuser, django_capture_on_commit_callbacks):  # noqa: F811
    """Two workers building one job at once would write the same partial file."""
    job = fill_study(experts=3).job
    long_ago = timezone.now() - STUCK_AFTER - dt.timedelta(minutes=1)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.QUEUED, created_at=long_ago)
    client = client_for(superuser)
    with django_capture_on_commit_callbacks(execute=False):  # the first retry's message is still on its way
        client.post(reverse("admin:exports_exportjob_changelist"), {"action": "retry", "_selected_action": [job.pk]})
    response = retry(client, job, django_capture_on_commit_callbacks)
    assert "still queued" in response.content.decode()
    assert AuditEvent.objects.filter(action="export.job_retry").count() == 1
