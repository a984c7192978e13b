from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from aggregation.services import round_aggregate
from elicitation.models import AreaResponse, Rating, Round, Study
from tests.factories import make_experts, make_round, make_study, mark_submitted

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def panel_round_two(client):
    """Six experts in two blocs (k = 3); round 1 closed with spread answers, round 2 open; E-01 logged in."""
    from elicitation.setup.services.tokens import token_issue

    study = make_study(title="Feedback views", min_group_size=3, blocs=["United States", "China"])
    experts = make_experts(study, 6)
    first = make_round(study, status=Round.Status.CLOSED)
    Rating.objects.bulk_create(
        Rating(round=first, expert=expert, area_id=item.area_id, criterion_id=item.criterion_id, value=value)
        for expert, value in zip(experts, [2, 4, 6, 7, 8, 9], strict=True)
        for item in first.items.all()
    )
    mark_submitted(first, experts)
    area_id = first.items.all()[0].area_id
    AreaResponse.objects.create(round=first, expert=experts[1], area_id=area_id, rationale="<i>Trust</i> first")
    second = make_round(study, status=Round.Status.OPEN)
    client.get(f"/e/{token_issue(expert=experts[0])}/")
    client.post("/e/consent/", {"consent": "yes"})
    return study, experts, second


def test_round_two_shows_last_rounds_feedback_before_rating_when_so_set(client, panel_round_two):
    study, _experts, _second = panel_round_two
    study.feedback_timing = Study.FeedbackTiming.BEFORE
    study.save()
    body = client.get("/e/round/").content.decode()
    assert body.count('<svg class="chart"') == 24
    assert "The panel in round 1:" in body
    assert "median 6.5" in body
    assert "Your answer then: 2." in body
    assert body.count('class="bar bar-own"') == 24
    assert body.count("<caption>By bloc</caption>") == 24
    assert "&lt;i&gt;Trust&lt;/i&gt; first" in body
    assert "E-02" not in body
    assert "Expert 2" not in body


def test_after_own_timing_hides_feedback_until_the_item_is_rated(client, panel_round_two):
    _study, _experts, second = panel_round_two
    body = client.get("/e/round/").content.decode()
    assert '<svg class="chart"' not in body
    assert body.count("appear here after you give your own rating") == 24
    assert "Trust" not in body
    item = second.items.all()[0]
    response = client.post(f"/e/round/{second.uuid}/save/", {f"r-{item.area_id}-{item.criterion_id}": "5"}, **HTMX)
    fragment = response.content.decode()
    assert f'id="fb-item-{item.area_id}-{item.criterion_id}" hx-swap-oob="true"' in fragment
    assert fragment.count('<svg class="chart"') == 1
    body = client.get("/e/round/").content.decode()
    assert body.count('<svg class="chart"') == 1


@pytest.mark.parametrize("timing", [Study.FeedbackTiming.AFTER_OWN, Study.FeedbackTiming.BEFORE])
def test_a_resave_in_round_two_sends_no_feedback_and_reads_none(client, panel_round_two, timing):
    """The feedback of a classic round is the closed round before it: a changed answer cannot change it, so
    only the item's first answer with "after own rating" sends it (the reveal); a re-save, or any save when
    the page showed it before the rating, costs no feedback query. A second round's autosave stays within
    the six statements of a first round's (tests/elicitation/expert/test_save_statements.py)."""
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    from aggregation.jobs import coalescing_key

    study, _experts, second = panel_round_two
    study.feedback_timing = timing
    study.save()
    cache.set(coalescing_key(second.pk), 1, timeout=600)  # a live run is already scheduled for this interval
    item = second.items.all()[0]
    url, name = f"/e/round/{second.uuid}/save/", f"r-{item.area_id}-{item.criterion_id}"
    block = f'id="fb-item-{item.area_id}-{item.criterion_id}" hx-swap-oob="true"'
    first = client.post(url, {name: "5"}, **HTMX).content.decode()
    revealed = timing == Study.FeedbackTiming.AFTER_OWN
    assert (block in first) is revealed
    assert ("median 6.5" in first) is revealed
    for value in ["6", "cj", "2"]:
        with CaptureQueriesContext(connection) as captured:
            again = client.post(url, {name: value}, **HTMX)
        assert again.status_code == 200
        assert block not in again.content.decode()
        statements = [query["sql"] for query in captured.captured_queries]
        if connection.vendor == "postgresql":
            assert len(statements) <= 6, "\n".join(statements)
        assert not any("elicitation_rating" in sql and "GROUP BY" in sql for sql in statements)
    body = client.get("/e/round/").content.decode()
    assert body.count('<svg class="chart"') == (1 if timing == Study.FeedbackTiming.AFTER_OWN else 24)
    assert "median 6.5" in body


def test_the_panels_reasons_appear_when_the_last_criterion_of_an_area_is_rated(client, panel_round_two):
    _study, _experts, second = panel_round_two
    first_area = second.items.all()[0].area_id
    items = list(second.items.filter(area_id=first_area))
    fragments = []
    for item in items:
        url = f"/e/round/{second.uuid}/save/"
        response = client.post(url, {f"r-{item.area_id}-{item.criterion_id}": "5"}, **HTMX)
        fragments.append(response.content.decode())
    assert all(f'id="rationales-{first_area}"' not in fragment for fragment in fragments[:-1])
    assert f'id="rationales-{first_area}" hx-swap-oob="true"' in fragments[-1]
    assert "&lt;i&gt;Trust&lt;/i&gt; first" in fragments[-1]
    # changing an answer later does not swap (and close) the reasons again
    item = items[0]
    again = client.post(f"/e/round/{second.uuid}/save/", {f"r-{item.area_id}-{item.criterion_id}": "6"}, **HTMX)
    assert f'id="rationales-{first_area}"' not in again.content.decode()


def test_real_time_mode_shows_live_feedback_after_the_own_rating(client, panel_round_two):
    study, experts, second = panel_round_two
    Round.objects.filter(pk=second.pk).delete()
    Round.objects.filter(study=study).update(status=Round.Status.OPEN, closed_at=None)
    study.mode = Study.Mode.REALTIME
    study.save()
    only = study.rounds.get()
    item = only.items.all()[0]
    Rating.objects.filter(round=only, expert=experts[0]).delete()
    client.post(f"/e/round/{only.uuid}/save/", {f"r-{item.area_id}-{item.criterion_id}": "3"}, **HTMX)
    assert "The panel so far:" not in client.get("/e/round/").content.decode(), "nothing published yet"
    round_aggregate(round_id=only.pk)  # the job the save queued: enough contributors to publish
    body = client.get("/e/round/").content.decode()
    assert "The panel so far:" in body
    assert "Your answer: 3." in body


def test_the_chart_has_a_text_alternative(client, panel_round_two):
    study, _experts, _second = panel_round_two
    study.feedback_timing = Study.FeedbackTiming.BEFORE
    study.save()
    body = client.get("/e/round/").content.decode()
    assert 'role="img"' in body
    assert "<desc" in body
    assert "1: 0, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1, 7: 1, 8: 1, 9: 1. Your answer: 2." in body


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_form_page_takes_a_fixed_number_of_queries(client, size, django_assert_num_queries):
    """Same count at 4 areas x 6 criteria x 8 experts and at 12 areas x 6 criteria x 40 experts."""
    from elicitation.setup.services.tokens import token_issue
    from tests.factories import AREAS, rate_everything, session_and_link_statements

    areas = AREAS if size == "small" else [(f"area{i}", f"Area {i}") for i in range(12)]
    study = make_study(title=f"Size {size}", areas=areas, min_group_size=3)
    experts = make_experts(study, 8 if size == "small" else 40)
    first = make_round(study, status=Round.Status.CLOSED)
    rate_everything(first, [2, 5, 7, 9, None, 6])
    for expert in experts:
        AreaResponse.objects.create(round=first, expert=expert, area=study.areas.all()[0], rationale="Why")
    second = make_round(study, status=Round.Status.OPEN)
    rate_everything(second)
    client.get(f"/e/{token_issue(expert=experts[0])}/")
    client.post("/e/consent/", {"consent": "yes"})
    # session and link with the expert (session_and_link_statements), open round, items, rewordings,
    # ratings, area responses, participation, own reasons of the last round (carried over), feedback: source
    # round, counts, own previous answers, rationales; the expert's statements (dissent, reasons), their ratings
    # of the round before (to ask why one moved), dissent per item in the feedback's round; the study's quantity
    # questions (none)
    with django_assert_num_queries(15 + session_and_link_statements()):
        response = client.get("/e/round/")
    assert response.status_code == 200
    assert response.content.decode().count('<svg class="chart"') == len(areas) * 5  # one in six: cannot judge
    item = second.items.all()[0]
    # session with the link and expert (session_and_link_statements), savepoint (BEGIN), the round locked
    # with the expert check (and the audit chain's lock), the one save statement (with the progress, the
    # scales and the chained audit event), release (COMMIT); no feedback: the item was answered before, and
    # last round's answers cannot change
    with django_assert_num_queries(session_and_link_statements() + (4 if connection.vendor == "postgresql" else 17)):
        client.post(f"/e/round/{second.uuid}/save/", {f"r-{item.area_id}-{item.criterion_id}": "1"}, **HTMX)
