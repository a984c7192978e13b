"""Aggregation in the operator's admin: re-running a round (from the rounds or the runs list) through the service."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.text import capfirst

from aggregation.models import AggregationRun, ItemResult
from elicitation.models import AuditEvent, Round
from elicitation.rounds.services.lifecycle import round_close
from tests.admin_support import client_for, fill_study, superuser  # noqa: F401
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_re_running_a_round_queues_a_job_that_computes_it_and_is_audited(
    superuser,  # noqa: F811
    eager_celery,
    django_capture_on_commit_callbacks,
):
    filled = fill_study(experts=3)
    before = AggregationRun.objects.filter(round=filled.round).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(superuser).post(
            reverse("admin:elicitation_round_changelist"), {"action": "rerun", "_selected_action": [filled.round.pk]}
        )
    assert response.status_code == 302
    runs = AggregationRun.objects.filter(round=filled.round)
    assert runs.count() == before + 1
    newest = runs.latest("requested_at")
    assert (newest.trigger, newest.status) == (AggregationRun.Trigger.OPERATOR, AggregationRun.Status.DONE)
    event = AuditEvent.objects.get(action="aggregation.rerun")
    assert (event.actor_user_id, event.study_id, event.target) == (superuser.pk, filled.study.pk, "round 1")


def test_a_draft_round_is_not_re_run_and_the_operator_is_told_why(superuser, django_capture_on_commit_callbacks):  # noqa: F811
    filled = fill_study(experts=3)
    round_close(round=filled.round, user=None, reason="test")  # the next round is planned once this one is over
    draft = make_round(filled.study, status=Round.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(superuser).post(
            reverse("admin:elicitation_round_changelist"),
            {"action": "rerun", "_selected_action": [draft.pk]},
            follow=True,
        )
    assert "is a draft: it has no answers to aggregate" in response.content.decode()
    assert not callbacks
    assert not AggregationRun.objects.filter(round=draft).exists()
    assert not AuditEvent.objects.filter(action="aggregation.rerun").exists()


def test_a_run_can_be_re_run_from_the_runs_list(superuser, eager_celery, django_capture_on_commit_callbacks):  # noqa: F811
    filled = fill_study(experts=3)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(superuser).post(
            reverse("admin:aggregation_aggregationrun_changelist"),
            {"action": "rerun", "_selected_action": [filled.run.pk]},
        )
    newest = AggregationRun.objects.filter(round=filled.round).latest("requested_at")
    assert newest.trigger == AggregationRun.Trigger.OPERATOR
    assert AuditEvent.objects.filter(action="aggregation.rerun", actor_user=superuser).count() == 1


def test_a_run_and_its_result_rows_show_every_field_read_only(superuser):  # noqa: F811
    filled = fill_study(experts=3)
    client = client_for(superuser)
    page = client.get(reverse("admin:aggregation_aggregationrun_change", args=[filled.run.pk])).content.decode()
    assert 'name="_save"' not in page
    for field in AggregationRun._meta.fields:
        assert capfirst(str(field.verbose_name)) in page, field.name
    row = ItemResult.objects.filter(round=filled.round).earliest("pk")
    response = client.get(reverse("admin:aggregation_itemresult_change", args=[row.pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
