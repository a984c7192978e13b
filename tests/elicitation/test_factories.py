"""The test factories build what the services build: a factory-made round next to one made through the services.

``make_round`` runs the round services itself; ``rate_everything`` and ``mark_submitted`` bulk-write what
``answers_save`` and ``round_submit`` write (for speed). Here both paths build the same study, and the rows,
revisions and audit events they leave are compared, ids, uuids and clocks left out.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from aggregation.models import AggregationRun
from core.errors import IllegalTransition
from elicitation.expert.services.answers import AnswerInput, answers_save, round_submit
from elicitation.models import AnswerRevision, AuditEvent, Participation, Rating, Round, Study
from elicitation.rounds.services.lifecycle import round_close, round_create, round_open
from tests.factories import make_experts, make_round, make_study, mark_submitted, rate_everything

pytestmark = pytest.mark.django_db

VALUES = [7, 8, None, 6, 9, 5, 3]


def _study() -> Study:
    study = make_study(title="Factories")
    make_experts(study, 3)
    return study


def _plain(key: str, value: Any) -> Any:
    """A detail value without what differs between two studies (the round's id, times)."""
    if key == "round_id":
        return "<round id>"
    if isinstance(value, str) and value[:2] == "20" and "T" in value:
        return "<time>"
    return value


def _audit(study: Study) -> list[tuple[Any, ...]]:
    rows = AuditEvent.objects.filter(study=study).order_by("sequence")
    return [
        (
            event.action,
            event.target,
            event.actor_expert.number if event.actor_expert else None,
            sorted((key, str(_plain(key, value))) for key, value in event.detail.items()),
        )
        for event in rows.select_related("actor_expert")
    ]


def _rows(study: Study) -> dict[str, Any]:
    round_ = study.rounds.get()
    return {
        "round": (round_.number, round_.status, round_.consensus_rule_id is not None, round_.opened_at is not None),
        "ratings": sorted(
            Rating.objects.filter(round=round_).values_list(
                "expert__number", "area__code", "criterion__code", "value", "cannot_judge"
            )
        ),
        "revisions": sorted(
            (number, area, criterion or "", field, old or "", new or "", source)
            for number, area, criterion, field, old, new, source in AnswerRevision.objects.filter(
                round=round_
            ).values_list(
                "expert__number", "area__code", "criterion__code", "field", "old_value", "new_value", "source"
            )
        ),
        "participations": [
            (p.expert.number, p.invited_at is None, p.opened_at is None, p.started_at is None, p.submitted_at is None)
            for p in Participation.objects.filter(round=round_).select_related("expert")
        ],
        "audit": _audit(study),
        "plan frozen": study.analysis_plans.filter(frozen_at__isnull=False).count(),
    }


def _through_the_services(study: Study) -> Round:
    """What a coordinator and the experts do: open a round, each expert answers every item and submits."""
    round_ = round_open(round=round_create(study=study), user=None, deadline=timezone.now() + dt.timedelta(days=7))
    values = itertools.cycle(VALUES)
    for expert in study.experts.filter(is_active=True):
        answers = [
            AnswerInput(area_id=item.area_id, criterion_id=item.criterion_id, value=value, cannot_judge=value is None)
            for item, value in zip(round_.items.all(), values, strict=False)
        ]
        answers_save(expert=expert, round_id=round_.pk, answers=answers)
        round_submit(expert=expert, round_id=round_.pk)
    return round_


def test_a_rated_and_submitted_round_has_the_rows_and_events_of_one_answered_through_the_services() -> None:
    by_services = _study()
    _through_the_services(by_services)
    by_factories = _study()
    rate_everything(make_round(by_factories, status=Round.Status.OPEN, invited=False), VALUES)

    expected, built = _rows(by_services), _rows(by_factories)
    assert built["ratings"] == expected["ratings"]
    assert len(built["revisions"]) == len(expected["revisions"]) == len(expected["ratings"]) > 0
    assert built["revisions"] == expected["revisions"]
    assert built["participations"] == expected["participations"]
    assert [event[0] for event in built["audit"]] == [event[0] for event in expected["audit"]]
    assert built == expected


def test_a_closed_round_is_closed_through_the_services_and_leaves_no_aggregation_unless_asked(
    django_capture_on_commit_callbacks: Any,
) -> None:
    by_services = _study()
    round_close(
        round=round_open(
            round=round_create(study=by_services), user=None, deadline=timezone.now() + dt.timedelta(days=7)
        ),
        user=None,
        reason="test factory",
    )
    by_factories = _study()
    with django_capture_on_commit_callbacks(execute=True):
        closed = make_round(by_factories, status=Round.Status.CLOSED, invited=False)
    assert _rows(by_factories) == _rows(by_services)
    assert [event[0] for event in _audit(by_factories)] == [
        "round.create",
        "plan.drafted",
        "plan.frozen",
        "round.open",
        "round.close",
    ]
    assert not AggregationRun.objects.filter(round=closed).exists()

    asked = _study()
    with django_capture_on_commit_callbacks(execute=True):
        aggregated = make_round(asked, status=Round.Status.CLOSED, aggregate=True)
    assert AggregationRun.objects.filter(round=aggregated, trigger=AggregationRun.Trigger.CLOSE).count() == 1


def test_the_factories_refuse_what_the_services_refuse() -> None:
    study = _study()
    make_round(study, status=Round.Status.OPEN)
    with pytest.raises(IllegalTransition):
        make_round(study)  # a draft beside the open round
    with pytest.raises(IllegalTransition):
        make_round(study, number=5)  # out of order
    (late,) = make_experts(study, 1)  # joined after the opening: neither invited nor answered
    with pytest.raises(ValueError, match="no participation"):
        mark_submitted(study.rounds.get(), [late])
