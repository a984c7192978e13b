"""Snapshots of a round's stored results, comparable across runs (ids and run links left out)."""

from __future__ import annotations

from typing import Any

from aggregation.models import AreaVerdict, CriterionAgreement, CrossBloc, ItemResult

SKIPPED = {"id", "run", "run_id"}


def results_snapshot(round_id: int) -> dict[str, list[dict[str, Any]]]:
    snapshot = {}
    for model in (ItemResult, CriterionAgreement, CrossBloc, AreaVerdict):
        fields = [f.attname for f in model._meta.concrete_fields if f.name not in SKIPPED]
        rows = model.objects.filter(round_id=round_id).order_by(*fields[:4]).values(*fields)
        snapshot[model.__name__] = list(rows)
    return snapshot
