"""Preview of the expert's form (either language, nothing stored) and pilot mode (answers kept apart)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import IllegalTransition, InvalidInput
from elicitation.models import AnswerRevision, AreaResponse, AuditEvent, PilotResponse, Rating, Round
from elicitation.rounds.services.pilot import PilotAnswer, pilot_delete, pilot_record
from tests.factories import make_bilingual_study, make_experts, make_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def bilingual(coordinator_a):
    study = make_bilingual_study(coordinator=coordinator_a)
    make_experts(study, 6)
    return study


@pytest.fixture
def draft(bilingual) -> Round:
    return make_round(bilingual, status=Round.Status.DRAFT)


def _url(round_: Round, **query: str) -> str:
    url = reverse("round-try", kwargs={"study_uuid": round_.study.uuid, "round_uuid": round_.uuid})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _first_item(round_: Round) -> tuple[int, int]:
    item = round_.items.order_by("area__order", "criterion__order").first()
    assert item is not None
    return item.area_id, item.criterion_id


def _stored() -> tuple[int, int, int, int]:
    return (
        Rating.objects.count(),
        AreaResponse.objects.count(),
        AnswerRevision.objects.count(),
        PilotResponse.objects.count(),
    )


def test_the_preview_shows_the_form_in_each_language_of_the_study(coordinator_client, draft):
    english = coordinator_client.get(_url(draft, language="en")).content.decode()
    chinese = coordinator_client.get(_url(draft, language="zh-hans")).content.decode()
    area = draft.study.areas.order_by("order").first()
    assert area.title in english
    assert area.translations["zh-hans"]["title"] in chinese
    assert area.title not in chinese
    assert '<html lang="zh-hans"' in chinese
    # The coordinator's own words stay in their language; the form posts back to the preview, not as an expert.
    assert "Nothing you enter here is saved." in chinese
    assert f'action="{reverse("expert-round-post", args=[draft.uuid])}"' not in chinese
    assert "htmx-2.min.js" not in chinese  # no autosave: its hx- attributes stay inert


def test_submitting_the_preview_checks_the_answers_and_stores_nothing(coordinator_client, draft):
    area_id, criterion_id = _first_item(draft)
    before, events = _stored(), AuditEvent.objects.count()
    good = coordinator_client.post(_url(draft, language="en"), {f"r-{area_id}-{criterion_id}": "7", "action": "submit"})
    assert good.status_code == 200
    assert "These answers would be accepted" in good.content.decode()
    bad = coordinator_client.post(_url(draft, language="en"), {f"r-{area_id}-{criterion_id}": "99", "action": "submit"})
    assert bad.status_code == 400
    assert "Choose a value from 1 to 9." in bad.content.decode()
    assert _stored() == before
    assert AuditEvent.objects.count() == events


def test_pilot_answers_are_kept_apart_and_never_become_ratings(coordinator_client, coordinator_a, draft):
    area_id, criterion_id = _first_item(draft)
    before = _stored()
    response = coordinator_client.post(
        _url(draft, language="zh-hans", mode="pilot"),
        {
            f"r-{area_id}-{criterion_id}": "cj",
            f"confidence-{area_id}": "4",
            f"rationale-{area_id}": "试一试",
            "tester_label": "Colleague W.",
            "comment": "The scale labels are clear.",
            "action": "submit",
        },
    )
    assert response.status_code in (302, 303)
    pilot = PilotResponse.objects.get()
    area = draft.study.areas.get(pk=area_id)
    assert pilot.language == "zh-hans"
    assert pilot.tester == coordinator_a
    assert pilot.answers == [
        {"area": area.code, "criterion": draft.items.get(area_id=area_id, criterion_id=criterion_id).criterion.code,
         "value": None, "cannot_judge": True}
    ]  # fmt: skip
    assert pilot.area_notes == {area.code: {"confidence": 4, "rationale": "试一试"}}
    assert _stored()[:3] == before[:3]  # no rating, response or revision
    assert AuditEvent.objects.filter(action="pilot.recorded", actor_user=coordinator_a).exists()

    page = coordinator_client.get(
        reverse("round-pilot", kwargs={"study_uuid": draft.study.uuid, "round_uuid": draft.uuid})
    )
    body = page.content.decode()
    assert "Colleague W." in body
    assert "试一试" in body
    assert "The scale labels are clear." in body


def test_a_pilot_run_with_bad_answers_keeps_nothing(coordinator_client, draft):
    area_id, criterion_id = _first_item(draft)
    response = coordinator_client.post(
        _url(draft, mode="pilot"), {f"r-{area_id}-{criterion_id}": "0", f"confidence-{area_id}": "9"}
    )
    assert response.status_code == 400
    assert not PilotResponse.objects.exists()


def test_pilot_runs_are_deleted_by_a_coordinator_with_an_audit_event(coordinator_client, coordinator_a, draft):
    area_id, criterion_id = _first_item(draft)
    pilot = pilot_record(
        round=draft, user=coordinator_a, language="en", answers=[PilotAnswer(area_id, criterion_id, 5)], areas={}
    )
    url = reverse(
        "round-pilot-delete",
        kwargs={"study_uuid": draft.study.uuid, "round_uuid": draft.uuid, "pilot_uuid": pilot.uuid},
    )
    assert coordinator_client.post(url).status_code == 302
    assert not PilotResponse.objects.exists()
    assert AuditEvent.objects.filter(action="pilot.deleted", target=str(pilot.uuid)).exists()


def test_pilot_answers_are_refused_for_items_not_asked_and_closed_rounds(coordinator_a, bilingual):
    other = make_round(bilingual, status=Round.Status.CLOSED)
    draft = make_round(bilingual, status=Round.Status.DRAFT)  # planned once round 1 is over
    area_id, criterion_id = _first_item(draft)
    with pytest.raises(InvalidInput):
        pilot_record(round=draft, user=coordinator_a, language="en", answers=[PilotAnswer(area_id, 10**9, 5)], areas={})
    with pytest.raises(IllegalTransition):
        pilot_record(
            round=other, user=coordinator_a, language="en", answers=[PilotAnswer(area_id, criterion_id, 5)], areas={}
        )
    assert not PilotResponse.objects.exists()
    pilot = pilot_record(round=draft, user=coordinator_a, language="en", answers=[], areas={})
    pilot_delete(response=pilot, user=coordinator_a)


def test_another_coordinator_can_neither_preview_nor_pilot(coordinator_b, draft):
    client = Client()
    client.force_login(coordinator_b)
    assert client.get(_url(draft)).status_code == 404
    assert client.post(_url(draft, mode="pilot"), {}).status_code == 404
    assert not PilotResponse.objects.exists()


def test_the_preview_and_the_pilot_data_page_run_a_fixed_number_of_queries(
    coordinator_client, coordinator_a, bilingual, draft
):
    area_id, criterion_id = _first_item(draft)
    pilot_record(
        round=draft, user=coordinator_a, language="en", answers=[PilotAnswer(area_id, criterion_id, 5)], areas={}
    )
    pilot_page = reverse("round-pilot", kwargs={"study_uuid": bilingual.uuid, "round_uuid": draft.uuid})
    counts = []
    for more in (0, 4):
        for _ in range(more):
            pilot_record(round=draft, user=coordinator_a, language="zh-hans", answers=[], areas={})
        with CaptureQueriesContext(connection) as preview:
            assert coordinator_client.get(_url(draft, language="zh-hans")).status_code == 200
        with CaptureQueriesContext(connection) as pilot:
            assert coordinator_client.get(pilot_page).status_code == 200
        counts.append((len(preview), len(pilot)))
    assert counts[0] == counts[1]


def test_pilot_answers_never_reach_results_or_exports(coordinator_a, bilingual):
    """The results and export tables read ratings only: a pilot run in an open round changes none of their rows."""
    from exports.tables import TABLE_NAMES, build_table, scope_for

    open_ = make_round(bilingual, status=Round.Status.OPEN)
    rate_everything(open_)
    area_id, criterion_id = _first_item(open_)
    scope = scope_for(bilingual)
    names = [name for name in TABLE_NAMES if name != "audit"]  # the audit log records the pilot run, as it should
    before = {name: list(build_table(name, scope).rows()) for name in names}
    pilot_record(
        round=open_,
        user=coordinator_a,
        language="en",
        answers=[PilotAnswer(area_id, criterion_id, 9)],
        areas={area_id: {"confidence": 5, "rationale": "pilot reasons"}},
    )
    after = {name: list(build_table(name, scope).rows()) for name in names}
    assert after == before
