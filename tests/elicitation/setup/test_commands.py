"""The createcoordinator and load_demo commands."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from elicitation.models import AnswerRevision, Expert, Participation, Rating, Round, Study

pytestmark = pytest.mark.django_db


def test_createcoordinator_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEW_COORDINATOR_PASSWORD", "a-long-unusual-passphrase-42")
    out = io.StringIO()
    call_command(
        "createcoordinator", "carol", "--email", "carol@example.org", "--password-from-env", "NEW_COORDINATOR_PASSWORD",
        stdout=out,
    )  # fmt: skip
    user = get_user_model().objects.get(username="carol")
    assert user.check_password("a-long-unusual-passphrase-42")
    assert user.email == "carol@example.org"
    assert not user.is_superuser
    assert "carol" in out.getvalue()


def test_createcoordinator_refuses_a_weak_password_and_an_existing_user(monkeypatch, coordinator_a):
    monkeypatch.setenv("PW", "123")
    with pytest.raises(CommandError, match="Password refused"):
        call_command("createcoordinator", "dave", "--password-from-env", "PW")
    monkeypatch.setenv("PW", "a-long-unusual-passphrase-42")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createcoordinator", coordinator_a.username, "--password-from-env", "PW")
    assert not get_user_model().objects.filter(username="dave").exists()


def test_createcoordinator_refuses_a_missing_variable_and_a_bad_email(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(CommandError, match="not set"):
        call_command("createcoordinator", "erin", "--password-from-env", "NOT_SET_ANYWHERE")
    with pytest.raises(CommandError, match="email"):
        call_command("createcoordinator", "erin", "--email", "not-an-email", "--password-from-env", "X")


def test_createcoordinator_without_a_terminal_says_how(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="--password-from-env"):
        call_command("createcoordinator", "frank")


def test_load_demo_builds_the_demo_study_once(client, django_assert_max_num_queries):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    assert Study.objects.count() == 1
    study = Study.objects.get()
    assert "coordinator / coopsurvey-demo" in out.getvalue()
    assert f"/studies/{study.uuid}/" in out.getvalue()
    assert "already exists" in out.getvalue()
    assert study.experts.count() == 30
    assert set(study.experts.values_list("bloc", flat=True)) == set(study.blocs)
    assert study.experts.filter(language="zh-hans").exists()
    statuses = list(study.rounds.order_by("number").values_list("status", flat=True))
    assert statuses == [Round.Status.CLOSED, Round.Status.CLOSED, Round.Status.DRAFT]
    assert study.consensus_rules.get().is_frozen
    ratings = Rating.objects.filter(round__study=study)
    assert ratings.filter(cannot_judge=True).exists()
    value_revisions = AnswerRevision.objects.filter(round__study=study, field=AnswerRevision.Field.VALUE)
    assert value_revisions.count() == ratings.count()
    assert set(value_revisions.values_list("source", flat=True)) == {AnswerRevision.Source.SYSTEM}
    assert Participation.objects.filter(round__study=study, submitted_at__isnull=False).count() > 40
    first = study.rounds.get(number=1)
    assert first.area_responses.exclude(rationale="").filter(rationale__contains="风险").exists()
    assert first.area_responses.filter(hidden_at__isnull=False).count() == 1
    assert first.suggestions.count() == 3


def test_the_demo_ratings_converge_from_round_one_to_two():
    import numpy as np

    call_command("load_demo", stdout=io.StringIO())
    study = Study.objects.get()
    spreads = []
    for number in (1, 2):
        rows = Rating.objects.filter(round__study=study, round__number=number, cannot_judge=False)
        by_item: dict[tuple[int, int], list[int]] = {}
        for area, criterion, value in rows.values_list("area_id", "criterion_id", "value"):
            by_item.setdefault((area, criterion), []).append(int(value or 0))
        spreads.append(np.mean([np.subtract(*np.percentile(v, [75, 25])) for v in by_item.values()]))
    assert spreads[1] < spreads[0]


def test_the_demo_coordinator_sees_the_demo_study_page(client):
    call_command("load_demo", stdout=io.StringIO())
    study = Study.objects.get()
    assert client.login(username="coordinator", password="coopsurvey-demo")
    response = client.get(f"/studies/{study.uuid}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Verification mechanisms" in page
    assert page.count("Closed") >= 2
    assert Expert.objects.filter(study=study, name="王伟").exists()


def test_the_demo_rounds_are_aggregated_after_loading(django_capture_on_commit_callbacks, eager_celery):
    from aggregation.models import AggregationRun

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO())
    study = Study.objects.get()
    runs = AggregationRun.objects.filter(round__study=study)
    assert sorted(runs.values_list("round__number", "status")) == [(1, "done"), (2, "done")]
