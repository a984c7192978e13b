"""Each round in its own words: a round's results show the wording that round asked, in every language.

Measured: after an area was reworded for round 2, round 1's results, charts and report showed the new
wording, although round 1 asked the old one.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from aggregation.services import round_aggregate
from elicitation.models import Round
from elicitation.setup.services.items import area_update
from tests.factories import make_experts, make_round, rate_everything

pytestmark = pytest.mark.django_db

OLD, NEW = "Verification mechanisms", "Verification of compute and conduct"
OLD_ZH, NEW_ZH = "核查机制", "算力与行为核查"


@pytest.fixture
def reworded(client, study_a, coordinator_a):
    area = study_a.areas.earliest("order")
    area_update(area=area, user=coordinator_a, title=OLD, translations={"zh-hans": {"title": OLD_ZH}})
    make_experts(study_a, 6)
    first = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(first)
    round_aggregate(round_id=first.pk)
    area.refresh_from_db()
    area_update(area=area, user=coordinator_a, title=NEW, translations={"zh-hans": {"title": NEW_ZH}})
    second = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(second)
    round_aggregate(round_id=second.pk)
    client.force_login(coordinator_a)
    return client, study_a


@pytest.mark.parametrize("page", ["map", "consensus", "divided", "report"])
def test_each_round_shows_the_wording_it_asked(reworded, page) -> None:
    client, study = reworded
    url = reverse(f"dashboard:{page}", args=[study.uuid])
    first = client.get(url, {"round": 1}).content.decode()
    second = client.get(url, {"round": 2}).content.decode()
    if page != "divided":  # no split item here, so no area is named on that page
        assert OLD in first
        assert NEW in second
    assert NEW not in first
    assert OLD not in second


def test_each_round_shows_its_wording_in_every_language(reworded) -> None:
    client, study = reworded
    client.cookies["django_language"] = "zh-hans"
    url = reverse("dashboard:report", args=[study.uuid])
    first = client.get(url, {"round": 1}).content.decode()
    second = client.get(url, {"round": 2}).content.decode()
    assert OLD_ZH in first
    assert NEW_ZH not in first
    assert NEW_ZH in second
