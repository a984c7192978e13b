"""An expert's own ratings through the API: by invitation token or link session, never a coordinator's token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from elicitation.models import AnswerRevision, Expert, Rating, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.tokens import token_issue
from tests.api.helpers import token_client
from tests.conftest import invitation_client
from tests.factories import make_round

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/ratings/"


@pytest.fixture
def open_round(study_a: Study) -> Round:
    return make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))


def expert_of(study: Study, number: int = 1) -> Expert:
    expert = study.experts.get(number=number)
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])
    return expert


def answers_for(round_: Round, value: int | None = 7) -> list[dict[str, Any]]:
    return [
        {"area": str(item.area.uuid), "criterion": str(item.criterion.uuid), "value": value}
        for item in round_.items.select_related("area", "criterion")
    ]


def test_put_saves_every_answer_and_get_returns_them(open_round: Round) -> None:
    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    answers = answers_for(open_round)
    response = client.put(URL, {"answers": answers}, format="json")
    assert response.status_code == 200, response.json()
    assert Rating.objects.filter(round=open_round, expert=expert).count() == len(answers)
    assert AnswerRevision.objects.filter(expert=expert, source="api").count() == len(answers)
    body = client.get(URL).json()
    assert body["round"] == str(open_round.uuid)
    assert len(body["items"]) == len(answers)
    assert {(r["area"], r["criterion"], r["value"]) for r in body["ratings"]} == {
        (a["area"], a["criterion"], 7) for a in answers
    }


def test_get_returns_only_the_callers_own_answers(open_round: Round) -> None:
    mine, other = expert_of(open_round.study, 1), expert_of(open_round.study, 2)
    invitation_client(other).put(URL, {"answers": answers_for(open_round, 3)}, format="json")
    body = invitation_client(mine).get(URL).json()
    assert body["ratings"] == []


def test_get_has_a_fixed_number_of_queries(open_round: Round) -> None:
    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    counts = []
    for answers in ([], answers_for(open_round)):
        if answers:
            client.put(URL, {"answers": answers}, format="json")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


def test_the_link_session_works_too(open_round: Round) -> None:
    expert = expert_of(open_round.study)
    client = APIClient(enforce_csrf_checks=True)
    assert client.get(reverse("expert-link", kwargs={"token": token_issue(expert=expert)})).status_code == 302
    assert client.get(URL).status_code == 200
    # A cookie session needs the CSRF token to write.
    response = client.put(URL, {"answers": answers_for(open_round)}, format="json")
    assert response.status_code == 403
    assert not Rating.objects.filter(expert=expert).exists()
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    response = client.put(URL, {"answers": answers_for(open_round)}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 200, response.json()
    assert Rating.objects.filter(expert=expert).count() == open_round.items.count()


def test_bad_answers_answer_400_keyed_by_index_and_write_nothing(open_round: Round, study_b: Study) -> None:
    expert = expert_of(open_round.study)
    answers = answers_for(open_round)
    answers[1]["value"] = 99  # off the scale: the service says so
    answers[2]["area"] = str(study_b.areas.earliest("order").uuid)  # another study's area: not asked here
    answers[3]["value"] = "high"  # not a number: the serializer says so
    response = invitation_client(expert).put(URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    assert "answers.3.value" in response.json()["field_errors"]
    answers[3]["value"] = 7
    response = invitation_client(expert).put(URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"answers.1", "answers.2"}
    assert not Rating.objects.filter(expert=expert).exists()


def test_a_closed_round_answers_409(open_round: Round) -> None:
    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    round_close(round=open_round, user=None)
    response = client.put(URL, {"round": str(open_round.uuid), "answers": answers_for(open_round)}, format="json")
    assert response.status_code == 409
    assert client.put(URL, {"answers": answers_for(open_round)}, format="json").status_code == 409
    assert client.get(URL).status_code == 404
    assert not Rating.objects.filter(expert=expert).exists()


def test_another_studys_round_is_refused(open_round: Round, study_b: Study) -> None:
    foreign = make_round(study_b, status=Round.Status.OPEN)
    expert = expert_of(open_round.study)
    response = invitation_client(expert).put(
        URL, {"round": str(foreign.uuid), "answers": answers_for(foreign)}, format="json"
    )
    assert response.status_code == 400
    assert "round" in response.json()["field_errors"]
    assert not Rating.objects.exists()


def test_without_consent_writing_is_refused(open_round: Round) -> None:
    expert = open_round.study.experts.get(number=1)
    response = invitation_client(expert).put(URL, {"answers": answers_for(open_round)}, format="json")
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_coordinators_and_strangers_cannot_use_it(open_round: Round, coordinator_a: User) -> None:
    session = APIClient()
    session.force_login(coordinator_a)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Invitation not-a-token")
    for client in (token_client(coordinator_a), session, APIClient(), bad_token):
        assert client.get(URL).status_code in (401, 403)
        assert client.put(URL, {"answers": answers_for(open_round)}, format="json").status_code in (401, 403)
    assert not Rating.objects.exists()


def test_a_revoked_or_deactivated_expert_is_refused(open_round: Round) -> None:
    from elicitation.setup.services.tokens import tokens_revoke

    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    tokens_revoke(expert=expert)
    assert client.get(URL).status_code == 401


SAVE_STATEMENTS = 6  # the invitation, BEGIN, the round lock, the one data-modifying statement, COMMIT, the answer


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single-statement path is PostgreSQL's")
@pytest.mark.parametrize("how_many", [1, "all"])
def test_a_put_takes_at_most_six_statements(open_round: Round, how_many: int | str) -> None:
    from django.core.cache import cache

    from aggregation.jobs import coalescing_key
    from elicitation.models import AuditEvent
    from elicitation.models.audit_chain import chain_findings

    cache.set(coalescing_key(open_round.pk), 1, timeout=600)  # a job already scheduled, as in a running study
    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    answers = answers_for(open_round)
    answers = answers[:1] if how_many == 1 else answers
    for round_given in (False, True):
        body: dict[str, Any] = {"answers": [{**a, "value": 3 if round_given else 4} for a in answers]}
        if round_given:
            body["round"] = str(open_round.uuid)
        with CaptureQueriesContext(connection) as queries:
            response = client.put(URL, body, format="json")
        assert response.status_code == 200, response.json()
        statements = [q["sql"] for q in queries.captured_queries]
        assert len(statements) <= SAVE_STATEMENTS, "\n".join(s[:120] for s in statements)
        assert {r["value"] for r in response.json()["ratings"]} == {3 if round_given else 4}
    assert AnswerRevision.objects.filter(expert=expert, source="api").count() == 2 * len(answers)
    assert chain_findings(list(AuditEvent.chain(expert.study_id).values())) == []


@pytest.mark.parametrize("end", ["revoked", "erased", "deactivated"])
def test_a_link_ended_between_two_puts_is_refused_on_the_very_next(open_round: Round, end: str) -> None:
    from elicitation.models import InvitationToken

    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    answers = answers_for(open_round)[:1]
    assert client.put(URL, {"answers": answers}, format="json").status_code == 200
    if end == "revoked":  # straight in the database: no service, so nothing could have refreshed a cache
        InvitationToken.objects.filter(expert=expert).update(revoked_at=timezone.now())
    elif end == "erased":
        Expert.objects.filter(pk=expert.pk).update(erased_at=timezone.now())
    else:
        Expert.objects.filter(pk=expert.pk).update(is_active=False)
    response = client.put(URL, {"answers": [{**answers[0], "value": 2}]}, format="json")
    assert response.status_code in (401, 403)
    assert Rating.objects.get(expert=expert).value == 7


def test_the_portable_write_path_finds_items_by_uuid_alike(open_round: Round, study_b: Study, monkeypatch) -> None:
    """SQLite (the demo) looks the UUIDs up in Python: the same answers, errors and stored ratings."""
    monkeypatch.setattr("elicitation.expert.services.answers.uses_single_statement", lambda: False)
    expert = expert_of(open_round.study)
    client = invitation_client(expert)
    answers = answers_for(open_round)
    answers[1]["value"] = 99
    answers[2]["area"] = str(study_b.areas.earliest("order").uuid)
    response = client.put(URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"answers.1", "answers.2"}
    response = client.put(URL, {"round": str(open_round.uuid), "answers": answers_for(open_round)}, format="json")
    assert response.status_code == 200
    assert len(response.json()["ratings"]) == Rating.objects.filter(expert=expert).count() == len(answers)
