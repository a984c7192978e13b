"""Reads of stored aggregation results, for dashboards, feedback pages and exports.

- ``round_results(round_id)`` -> :class:`RoundResults`: the latest *done* run (``run``, None before the
  first), whether a newer job is queued or running (``updating``: show "updating…" next to "results as of
  ``run.finished_at``"), and lazy querysets of the stored rows:

  - ``items``: ``ItemResult`` rows, panel (group "") and per bloc, ordered by area, criterion, group;
    bloc rows with ``suppressed=True`` carry n but no statistics: show them as "fewer than k";
  - ``panel_items``: the same, panel rows only;
  - ``criteria``: ``CriterionAgreement`` (Kendall's W, Krippendorff's alpha) per criterion;
  - ``cross_bloc``: ``CrossBloc`` per (area, criterion);
  - ``verdicts``: the panel's ``AreaVerdict`` per area; ``bloc_verdicts``: each bloc's, per bloc and area
    (only blocs with at least k ratings behind the verdict).

  Each queryset is one query, whatever the study's size (the rows hold area and criterion ids; add
  ``select_related("area", "criterion")`` when titles are needed). The run names the rule version, the
  quantile method and the code version that produced every row.
- ``latest_run(round_id)``: the newest run of the round in any status (for "failed: …" notices).
- ``item_results_for_expert_feedback(round_id)``: panel and unsuppressed bloc rows only, i.e. what an expert
  may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult


@dataclass(frozen=True)
class RoundResults:
    run: AggregationRun | None
    updating: bool
    items: QuerySet[ItemResult]
    panel_items: QuerySet[ItemResult]
    criteria: QuerySet[CriterionAgreement]
    cross_bloc: QuerySet[CrossBloc]
    verdicts: QuerySet[AreaVerdict]
    bloc_verdicts: QuerySet[AreaVerdict]

    @property
    def as_of(self) -> datetime | None:
        return self.run.finished_at if self.run else None


def latest_run(round_id: int) -> AggregationRun | None:
    return AggregationRun.objects.filter(round_id=round_id).order_by("-requested_at", "-id").first()


def round_results(round_id: int) -> RoundResults:
    """The latest done run and the round's stored result rows (two queries here, one per queryset used)."""
    runs = AggregationRun.objects.filter(round_id=round_id)
    run = runs.filter(status=AggregationRun.Status.DONE).order_by("-finished_at", "-id").first()
    active = runs.filter(status__in=[AggregationRun.Status.QUEUED, AggregationRun.Status.RUNNING])
    if run is not None:
        active = active.filter(requested_at__gte=run.requested_at).exclude(pk=run.pk)
    items = ItemResult.objects.filter(round_id=round_id).order_by(
        "area__order", "area_id", "criterion__order", "criterion_id", "group"
    )
    return RoundResults(
        run=run,
        updating=active.exists(),
        items=items,
        panel_items=items.filter(group=""),
        criteria=CriterionAgreement.objects.filter(round_id=round_id).order_by("criterion__order", "criterion_id"),
        cross_bloc=CrossBloc.objects.filter(round_id=round_id).order_by(
            "area__order", "area_id", "criterion__order", "criterion_id"
        ),
        verdicts=AreaVerdict.objects.filter(round_id=round_id, group="").order_by("area__order", "area_id"),
        bloc_verdicts=AreaVerdict.objects.filter(round_id=round_id)
        .exclude(group="")
        .order_by("group", "area__order", "area_id"),
    )


def item_results_for_expert_feedback(round_id: int) -> QuerySet[ItemResult]:
    """Rows an expert may see: the panel and the blocs not suppressed."""
    return ItemResult.objects.filter(round_id=round_id, suppressed=False).order_by(
        "area__order", "area_id", "criterion__order", "criterion_id", "group"
    )
