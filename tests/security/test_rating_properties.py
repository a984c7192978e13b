"""Property tests of the rating endpoints: whatever an expert sends, a clear 400 that writes nothing, or a save.

Two ways in take ratings: the form's autosave (form fields, what the browser and the no-JavaScript
form send) and the API's ``PUT /api/v1/me/ratings/`` (JSON). For any value — integers far outside
the scale, floats, NaN, infinities, huge numbers, text, booleans, nulls, lists, objects — each
request either stores exactly a whole number on the criterion's scale (with one append-only
revision) or answers 400 with field errors and writes nothing. No request ever gets a 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from elicitation.models import AnswerRevision, Expert, Rating, Round, RoundItem, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round
from tests.security.hypothesis_profiles import PROFILE

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/ratings/"

# JSON texts for a value, including what strict JSON forbids (NaN, Infinity) and what overflows a float.
json_values = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=-3, max_value=12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "7.0", "7.5", "1e1", "-0", "0.0"]),
    st.sampled_from(["true", "false", "null", "[]", "{}", "[7]", '{"value": 7}', '""', '"7"', '" 7 "', '"seven"']),
    st.text(max_size=20).map(json.dumps),
)

# Form field texts: what a browser could send for a rating radio button.
form_values = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=-3, max_value=12).map(str),
    st.sampled_from(["NaN", "nan", "inf", "-inf", "1e400", "7.0", "७", "٧", "7 ", " 7", "+7", "0x7", "cannot_judge"]),
    st.text(max_size=20),
)


def _state(expert: Expert) -> list[tuple[Any, ...]]:
    ratings = Rating.objects.filter(expert=expert).order_by("area_id", "criterion_id")
    revisions = AnswerRevision.objects.filter(expert=expert).count()
    return [*ratings.values_list("area_id", "criterion_id", "value", "cannot_judge"), ("revisions", revisions)]


@pytest.fixture
def open_round(study_a: Study) -> Round:
    return make_round(study_a, status=Round.Status.OPEN)


@pytest.fixture
def expert(study_a: Study) -> Expert:
    expert = study_a.experts.order_by("number").first()
    assert expert is not None
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])
    return expert


@pytest.fixture
def item(open_round: Round) -> RoundItem:
    return open_round.items.select_related("area", "criterion").order_by("pk").first()  # type: ignore[return-value]


def _check_outcome(status: int, body: Any, before: list, after: list, expert: Expert, item: RoundItem) -> None:
    assert status in (200, 400), (status, body)
    if status == 400:
        assert after == before, "a refused rating wrote something"
        return
    rating = Rating.objects.get(expert=expert, area=item.area, criterion=item.criterion)
    if not rating.cannot_judge:
        assert type(rating.value) is int
        assert item.criterion.scale_min <= rating.value <= item.criterion.scale_max
    assert AnswerRevision.objects.filter(expert=expert).count() >= 1


@given(raw=json_values)
@example(raw="NaN")
@example(raw="1e400")
@example(raw=str(10**40))
@example(raw="true")
@settings(parent=PROFILE)
def test_api_rating_values(raw: str, expert: Expert, item: RoundItem) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
    answer = f'{{"area": "{item.area.uuid}", "criterion": "{item.criterion.uuid}", "value": {raw}}}'
    body = f'{{"answers": [{answer}]}}'.encode()
    with transaction.atomic():
        before = _state(expert)
        response = client.put(URL, body, content_type="application/json")
        after = _state(expert)
        payload = response.json()
        _check_outcome(response.status_code, payload, before, after, expert, item)
        if response.status_code == 400:
            assert isinstance(payload.get("errors") or payload.get("field_errors") or payload, dict)
            assert payload, "a 400 without a message"
        transaction.set_rollback(True)


@pytest.fixture
def expert_client(expert: Expert) -> Client:
    """One link exchange for all examples (link opens are rate-limited per address)."""
    client = Client()
    assert client.get(f"/e/{token_issue(expert=expert)}/").status_code == 302
    return client


@given(raw=form_values)
@example(raw="NaN")
@example(raw=str(10**30))
@example(raw="٧")
@settings(parent=PROFILE)
def test_autosave_rating_values(
    raw: str, expert: Expert, expert_client: Client, item: RoundItem, open_round: Round
) -> None:
    client = expert_client
    field = f"r-{item.area_id}-{item.criterion_id}"
    with transaction.atomic():
        before = _state(expert)
        response = client.post(f"/e/round/{open_round.uuid}/save/", {field: raw}, HTTP_HX_REQUEST="true")
        after = _state(expert)
        _check_outcome(response.status_code, response.content[:300], before, after, expert, item)
        if response.status_code == 400:
            assert response.content.strip(), "a 400 without a message"
        transaction.set_rollback(True)
