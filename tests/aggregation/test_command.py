"""`manage.py aggregate_round` computes results synchronously, for one round or a whole study."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from aggregation.models import AggregationRun, ItemResult
from elicitation.models import Round, Study
from tests.factories import make_round, rate_everything


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("aggregate_round", *args, stdout=out)
    return out.getvalue()


def test_it_aggregates_one_round(closed_round: Round) -> None:
    output = run(str(closed_round.pk))
    assert f"round {closed_round.pk}: 480 ratings aggregated" in output
    assert AggregationRun.objects.get(round=closed_round).trigger == AggregationRun.Trigger.COMMAND
    assert ItemResult.objects.filter(round=closed_round, group="").count() == 24


def test_it_aggregates_every_non_draft_round_of_a_study(closed_round: Round, panel_study: Study) -> None:
    second = make_round(panel_study, status=Round.Status.CLOSED)
    rate_everything(second)
    make_round(panel_study, status=Round.Status.DRAFT)
    output = run("--study", str(panel_study.uuid))
    assert output.count("ratings aggregated") == 2
    assert set(AggregationRun.objects.values_list("round", flat=True)) == {closed_round.pk, second.pk}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "either a round id or --study"),
        (("1", "--study", str(uuid.uuid4())), "either a round id or --study"),
        (("999999",), "No round with id 999999"),
        (("--study", "not-a-uuid"), "Not a study UUID"),
        (("--study", str(uuid.uuid4())), "No study with UUID"),
    ],
)
def test_it_explains_bad_arguments(db: None, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
