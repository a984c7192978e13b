"""Deadlines are entered in the coordinator's own time zone and every deadline is shown with its zone."""

import datetime as dt

import pytest
from django.urls import reverse

from elicitation.models import Round
from tests.factories import make_bilingual_study, make_experts, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(coordinator_a):
    study = make_bilingual_study(coordinator=coordinator_a)
    make_experts(study, 2)
    return study


def test_a_deadline_is_read_in_the_zone_the_coordinator_chose_and_shown_with_it(coordinator_client, study):
    draft = make_round(study)
    url = reverse("round-open", kwargs={"study_uuid": study.uuid, "round_uuid": draft.uuid})
    response = coordinator_client.post(url, {"deadline": "2031-03-02T18:00", "time_zone": "Asia/Shanghai"})
    assert response.status_code == 303
    draft.refresh_from_db()
    assert draft.deadline == dt.datetime(2031, 3, 2, 10, 0, tzinfo=dt.UTC)
    detail = coordinator_client.get(
        reverse("round-detail", kwargs={"study_uuid": study.uuid, "round_uuid": draft.uuid})
    )
    html = detail.content.decode()
    assert "2 March 2031, 18:00 (Asia/Shanghai)" in html  # remembered: the coordinator's pages follow their zone
    assert '<option value="Asia/Shanghai" selected>' in html
    listing = coordinator_client.get(reverse("round-list", kwargs={"study_uuid": study.uuid})).content.decode()
    assert "(Asia/Shanghai)" in listing


def test_without_a_chosen_zone_deadlines_are_in_the_servers_zone_and_say_so(coordinator_client, study):
    make_round(study, status=Round.Status.OPEN, deadline=dt.datetime(2031, 3, 2, 10, 0, tzinfo=dt.UTC))
    html = coordinator_client.get(reverse("round-list", kwargs={"study_uuid": study.uuid})).content.decode()
    assert "2 March 2031, 10:00 (UTC)" in html


def test_an_unknown_zone_is_ignored_not_an_error(coordinator_client, study):
    draft = make_round(study)
    url = reverse("round-open", kwargs={"study_uuid": study.uuid, "round_uuid": draft.uuid})
    response = coordinator_client.post(url, {"deadline": "2031-03-02T18:00", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400  # not one of the choices
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


def test_the_panel_shows_languages_by_name(coordinator_client, study):
    make_experts(study, 1, language="zh-hans")
    html = coordinator_client.get(reverse("study-panel", kwargs={"study_uuid": study.uuid})).content.decode()
    assert "<td>简体中文</td>" in html
    assert "<td>zh-hans</td>" not in html
