"""Snapshots of a round's shown results, comparable across runs (ids and run links left out)."""

from __future__ import annotations

from typing import Any

from aggregation.models import AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from aggregation.selectors import shown_runs

SKIPPED = {"id", "run", "run_id"}


def results_snapshot(round_id: int) -> dict[str, list[dict[str, Any]]]:
    snapshot = {}
    for model in (ItemResult, CriterionAgreement, CrossBloc, AreaVerdict):
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in SKIPPED]
        rows = model.objects.filter(run_id__in=shown_runs([round_id])).order_by(*fields[:4]).values(*fields)
        snapshot[model.__name__] = list(rows)
    return snapshot
