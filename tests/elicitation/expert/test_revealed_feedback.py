"""What an autosave reveals with "after own rating" timing, and what it costs.

The first answer to an item sends that item's group feedback; the answer that completes an area also sends
the panel's reasons for the area. Both are read for that item or area alone (``selectors.area_rationales``,
and compiled-once queries), not by building the whole form as before: then a save completing an area cost
42 ms of CPU in a 35-item study against a re-save's 2.6 (``bench.autosave_cpu``'s way of measuring), and
its query count grew with the form. What they send must be what the whole form shows after the save.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation.services import round_aggregate
from elicitation.models import AreaResponse, Rating, Round, Study
from tests.factories import AREAS, make_experts, make_round, make_study, mark_submitted, session_and_link_statements

pytestmark = pytest.mark.django_db

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _study(*, areas: list[tuple[str, str]] = AREAS, experts: int = 6) -> tuple[Study, list[Any], Round]:
    """k = 3, two blocs; round 1 closed with spread answers (all submitted), round 2 open."""
    study = make_study(title="Revealed", areas=areas, min_group_size=3, blocs=["United States", "China"])
    panel = make_experts(study, experts)
    first = make_round(study, status=Round.Status.CLOSED)
    values = [2, 4, 6, 7, 8, 9, None]
    Rating.objects.bulk_create(
        Rating(
            round=first,
            expert=expert,
            area_id=item.area_id,
            criterion_id=item.criterion_id,
            value=values[index % len(values)],
            cannot_judge=values[index % len(values)] is None,
        )
        for index, expert in enumerate(panel)
        for item in first.items.all()
    )
    mark_submitted(first, panel)
    second = make_round(study, status=Round.Status.OPEN)
    return study, panel, second


def _log_in(client: Any, expert: Any) -> None:
    from elicitation.setup.services.tokens import token_issue

    client.get(f"/e/{token_issue(expert=expert)}/")
    client.post("/e/consent/", {"consent": "yes"})


def _block(html: str, area_id: int) -> str:
    found = re.search(rf'<div class="rationales-block" id="rationales-{area_id}".*?</div>', html, re.S)
    assert found, f"no reasons block of area {area_id}"
    return found.group(0).replace(' hx-swap-oob="true"', "")


def _complete_area(client: Any, round_: Round, area_id: int) -> list[str]:
    url = f"/e/round/{round_.uuid}/save/"
    fragments = []
    for item in round_.items.filter(area_id=area_id):
        response = client.post(url, {f"r-{item.area_id}-{item.criterion_id}": "5"}, **HTMX)
        assert response.status_code == 200
        fragments.append(response.content.decode())
    return fragments


@pytest.mark.parametrize("case", ["shown", "translated", "hidden", "suppressed", "cannot_judge_counts"])
def test_the_reasons_an_area_reveals_are_the_forms(client, case):
    study, panel, second = _study()
    first = study.rounds.get(number=1)
    area_id = second.items.all()[0].area_id
    reader = panel[0]
    if case == "translated":
        reader.language = "zh-hans"
        reader.save()
    translated = case == "translated"
    AreaResponse.objects.create(
        round=first, expert=panel[1], area_id=area_id, rationale="Verification first", rationale_language="en",
        translation="先核查" if translated else "", translation_language="zh-hans" if translated else "",
    )  # fmt: skip
    AreaResponse.objects.create(round=first, expert=panel[2], area_id=area_id, rationale="<b>Shared</b> tests")
    if case == "hidden":
        AreaResponse.objects.filter(round=first, expert=panel[2]).update(hidden_at=first.opened_at or second.opened_at)
    if case == "suppressed":  # two raters of the area's items: fewer than k
        Rating.objects.filter(round=first, area_id=area_id).exclude(expert__in=panel[:2]).delete()
    if case == "cannot_judge_counts":  # two values and one "cannot judge" on one item: three raters, so shown
        Rating.objects.filter(round=first, area_id=area_id).exclude(expert__in=panel[:3]).delete()
        Rating.objects.filter(round=first, area_id=area_id, expert=panel[2]).update(value=None, cannot_judge=True)
    _log_in(client, reader)
    fragments = _complete_area(client, second, area_id)
    assert all(f'id="rationales-{area_id}"' not in fragment for fragment in fragments[:-1])
    assert f'id="rationales-{area_id}" hx-swap-oob="true"' in fragments[-1]
    page = client.get("/e/round/").content.decode()
    assert _block(fragments[-1], area_id) == _block(page, area_id)
    revealed = _block(fragments[-1], area_id)
    assert ("Too few experts answered this area" in revealed) is (case == "suppressed")
    assert ("&lt;b&gt;Shared&lt;/b&gt; tests" in revealed) is (case not in {"hidden", "suppressed"})
    assert ("先核查" in revealed) is (case == "translated")


def test_the_reasons_a_real_time_area_reveals_are_the_forms(client):
    study, panel, second = _study()
    Round.objects.filter(pk=second.pk).delete()
    Round.objects.filter(study=study).update(status=Round.Status.OPEN, closed_at=None)
    study.mode = Study.Mode.REALTIME
    study.save()
    only = study.rounds.get()
    area_id = only.items.all()[0].area_id
    AreaResponse.objects.create(round=only, expert=panel[1], area_id=area_id, rationale="Live reason")
    Rating.objects.filter(round=only, expert=panel[0]).delete()
    round_aggregate(round_id=only.pk)  # published: five contributors
    _log_in(client, panel[0])
    fragments = _complete_area(client, only, area_id)
    assert "Live reason" in _block(fragments[-1], area_id)
    assert _block(fragments[-1], area_id) == _block(client.get("/e/round/").content.decode(), area_id)


def _statements(client: Any, url: str, field: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {field: "5"}, **HTMX)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_reveal_takes_a_fixed_number_of_statements(client, size):
    """4 areas x 6 criteria x 6 experts, and 12 areas x 6 criteria x 40 experts: the same statements."""
    from django.core.cache import cache

    from aggregation.jobs import coalescing_key

    areas = AREAS if size == "small" else [(f"area{i}", f"Area {i}") for i in range(12)]
    _unused, panel, second = _study(areas=areas, experts=6 if size == "small" else 40)
    cache.set(coalescing_key(second.pk), 1, timeout=600)  # a live run is already scheduled for this interval
    _log_in(client, panel[0])
    url = f"/e/round/{second.uuid}/save/"
    items = list(second.items.filter(area_id=second.items.all()[0].area_id))
    postgresql = connection.vendor == "postgresql"
    for index, item in enumerate(items):
        fragment, statements = _statements(client, url, f"r-{item.area_id}-{item.criterion_id}")
        assert f'id="fb-item-{item.area_id}-{item.criterion_id}"' in fragment
        completes = index == len(items) - 1
        assert (f'id="rationales-{item.area_id}"' in fragment) is completes
        # the session and link (session_and_link_statements); the save's 4 (BEGIN, lock, save, COMMIT); the
        # item's feedback: the round before (read once
        # per save), its counts, the expert's answer then; completing the area: its raters, its reasons
        expected = session_and_link_statements() + (4 if postgresql else 17) + 3 + (2 if completes else 0)
        assert len(statements) == expected, "\n".join(statements)
