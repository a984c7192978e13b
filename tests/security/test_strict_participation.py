"""Strict anonymity: participation as counts only, and no page or API response pairs a pseudonym with a person.

Who started when is what the differencing attack of issue 14 needs: match the moment a figure changed
with the one expert whose ``started_on`` turned from null to today. So in strict mode the round page and
``participation/`` give no per-expert step, pseudonym or reminder, the round resource gives the counts,
and the panel page and ``experts/`` list people without pseudonyms. A standard study keeps all of it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from elicitation.models import Participation, Round, Study
from tests.api.helpers import token_client
from tests.factories import make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(study_a: Study) -> Round:
    """Study A with an open round in which two experts started and one submitted; one was reminded."""
    round_ = make_round(study_a, status=Round.Status.OPEN)
    now = timezone.now()
    for expert in study_a.experts.all():
        Participation.objects.update_or_create(round=round_, expert=expert, defaults={"invited_at": now})
    first, second, third = study_a.experts.order_by("number")[:3]
    Participation.objects.filter(round=round_, expert=first).update(opened_at=now, started_at=now, submitted_at=now)
    Participation.objects.filter(round=round_, expert=second).update(opened_at=now, started_at=now)
    Participation.objects.filter(round=round_, expert=third).update(last_reminded_at=now, reminder_count=1)
    return round_


def _strict(study: Study) -> None:
    Study.objects.filter(pk=study.pk).update(anonymity=Study.Anonymity.STRICT)


def _pages(coordinator, study: Study, round_: Round) -> dict[str, str]:
    client = Client()
    client.force_login(coordinator)
    urls = {
        "round": reverse("round-detail", kwargs={"study_uuid": study.uuid, "round_uuid": round_.uuid}),
        "panel": reverse("study-panel", args=[study.uuid]),
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    return pages


def test_a_strict_round_page_gives_counts_not_who_started(coordinator_a, study_a, started):
    _strict(study_a)
    pages = _pages(coordinator_a, study_a, started)
    assert "8 experts: 8 invited, 2 opened their link, 2 started, 1 submitted." in pages["round"]
    for expert in study_a.experts.all():
        assert expert.pseudonym not in pages["round"]
        assert expert.pseudonym not in pages["panel"]
        assert expert.name in pages["panel"]


def test_a_standard_round_page_lists_each_expert(coordinator_a, study_a, started):
    pages = _pages(coordinator_a, study_a, started)
    first = study_a.experts.order_by("number").first()
    assert first.pseudonym in pages["round"]
    assert first.pseudonym in pages["panel"]


def test_strict_participation_in_the_api_has_no_step_pseudonym_or_reminder(coordinator_a, study_a, started):
    _strict(study_a)
    api = token_client(coordinator_a)
    rows = api.get(reverse("api-v1:participation-list"), {"round": str(started.uuid)}).json()["results"]
    assert len(rows) == 8
    hidden = ("pseudonym", "opened_on", "started_on", "submitted_on", "last_reminded_at", "reminder_count")
    assert all(row[name] is None for row in rows for name in hidden)
    assert all(row["invited_at"] for row in rows)
    experts = api.get(reverse("api-v1:expert-list"), {"study": str(study_a.uuid)}).json()["results"]
    assert experts
    assert all(row["pseudonym"] is None for row in experts)
    round_ = api.get(reverse("api-v1:round-detail", kwargs={"uuid": started.uuid})).json()
    counts = {name: round_[name] for name in ("participants", "invited", "opened", "started", "submitted")}
    assert counts == {"participants": 8, "invited": 8, "opened": 2, "started": 2, "submitted": 1}


def test_standard_participation_in_the_api_gives_days_and_pseudonyms(coordinator_a, study_a, started):
    api = token_client(coordinator_a)
    rows = api.get(reverse("api-v1:participation-list"), {"round": str(started.uuid)}).json()["results"]
    assert sum(row["started_on"] is not None for row in rows) == 2
    assert all(row["pseudonym"] for row in rows)


def test_a_strict_study_exports_the_answers_of_closed_rounds_only(study_a):
    from exports.tables import build_table, scope_for
    from tests.factories import rate_everything

    _strict(study_a)
    study_a.refresh_from_db()
    closed = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(closed)
    current = make_round(study_a, status=Round.Status.OPEN)
    rate_everything(current)
    for table in ("ratings", "aggregates", "rationales"):
        rounds = {row[1] for row in build_table(table, scope_for(study_a)).rows()}
        assert current.number not in rounds, table
    assert {row[1] for row in build_table("ratings", scope_for(study_a)).rows()} == {closed.number}
    Study.objects.filter(pk=study_a.pk).update(anonymity=Study.Anonymity.STANDARD)
    study_a.refresh_from_db()
    assert current.number in {row[1] for row in build_table("ratings", scope_for(study_a)).rows()}


def test_strict_expert_pages_and_messages_name_the_person_without_the_pseudonym(coordinator_a, study_a):
    _strict(study_a)
    expert = study_a.experts.get(number=2)
    client = Client()
    client.force_login(coordinator_a)
    for name in ("expert-edit", "expert-erase"):
        body = client.get(reverse(name, args=[study_a.uuid, expert.uuid])).content.decode()
        assert expert.name in body, name
        assert expert.pseudonym not in body, name
    erase = reverse("expert-erase", args=[study_a.uuid, expert.uuid])
    assert client.post(erase, {"pseudonym": expert.pseudonym}).status_code == 400  # not the confirmation here
    response = client.post(erase, {"pseudonym": expert.email.upper()}, follow=True)
    assert response.status_code == 200
    expert.refresh_from_db()
    assert expert.erased_at is not None
    body = response.content.decode()
    assert "personal data was erased" in body
    assert expert.pseudonym not in body
