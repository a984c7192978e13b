"""Aggregate a round (or every non-draft round of a study) synchronously, for scripts."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aggregation.models import AggregationRun
from aggregation.services import round_aggregate
from elicitation.models import Round, Study


class Command(BaseCommand):
    help = "Compute and store a round's results now, without Celery: `aggregate_round <round_id>` or `--study <uuid>`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_id", nargs="?", type=int, help="The round's id.")
        parser.add_argument("--study", help="Aggregate every open or closed round of the study with this UUID.")

    def handle(self, *args: Any, round_id: int | None = None, study: str | None = None, **options: Any) -> None:
        if (round_id is None) == (study is None):
            raise CommandError("Give either a round id or --study <uuid>.")
        if study is not None:
            round_ids = list(self._study_rounds(study))
        else:
            assert round_id is not None
            if not Round.objects.filter(pk=round_id).exists():
                raise CommandError(f"No round with id {round_id}.")
            round_ids = [round_id]
        for rid in round_ids:
            try:
                run = round_aggregate(round_id=rid, trigger=AggregationRun.Trigger.COMMAND)
            except Exception as error:
                raise CommandError(f"Aggregation of round {rid} failed: {error}") from error
            self.stdout.write(f"round {rid}: {run.ratings_count} ratings aggregated (run {run.pk})")

    def _study_rounds(self, study_uuid: str) -> list[int]:
        try:
            key = uuid.UUID(study_uuid)
        except ValueError:
            raise CommandError(f"Not a study UUID: {study_uuid!r}.") from None
        found = Study.objects.filter(uuid=key).first()
        if found is None:
            raise CommandError(f"No study with UUID {study_uuid}.")
        return list(found.rounds.exclude(status=Round.Status.DRAFT).order_by("number").values_list("id", flat=True))
