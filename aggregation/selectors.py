"""Reads of stored aggregation results, for dashboards, feedback pages, the API, exports and the report.

Every reader of results goes through ONE choice of run, :func:`shown_runs` (and :func:`shown_run` for one
round): during an open round the newest *published* run, once the round is closed its *current* run (the
publication rule and the snapshot order are in ``aggregation.runs``). Result rows are always filtered by
that run, never by round alone: a round keeps the rows of every run it ever had.

- ``round_results(round_id)`` -> :class:`RoundResults`: the shown run (``run``, None before the first),
  whether a newer job is queued or running (``updating``: show "updating…" next to "results as of
  ``run.finished_at``"), and lazy querysets of the shown run's rows:

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
- ``shown_runs(rounds)``: a subquery of the shown run ids of several rounds, for ``run_id__in=`` filters.
- ``latest_run(round_id)``: the newest run of the round in any status (for "failed: …" notices).
- ``shown_item_rows(round_id)``: every item row of the shown run (real-time feedback reads its distributions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from elicitation.models import Round

SNAPSHOT_ORDER = ("-snapshot_revision", "-snapshot_read_at", "-id")


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


def _shown_filter() -> Q:
    """Runs a reader may show: published ones while the round is open, the current one once it is closed."""
    closed = Q(round__status=Round.Status.CLOSED)
    return (closed & Q(is_current=True)) | (~closed & Q(is_published=True))


def shown_run(round_id: int) -> AggregationRun | None:
    """The run whose rows readers show for the round (one query), None before there is one."""
    return AggregationRun.objects.filter(_shown_filter(), round_id=round_id).order_by(*SNAPSHOT_ORDER).first()


def shown_runs(rounds: QuerySet[Round] | list[int]) -> QuerySet[Any]:
    """The shown run id of each of ``rounds`` (a queryset or ids), as a subquery for ``run_id__in=``."""
    queryset = rounds if isinstance(rounds, QuerySet) else Round.objects.filter(pk__in=list(rounds))
    newest = AggregationRun.objects.filter(_shown_filter(), round_id=OuterRef("pk")).order_by(*SNAPSHOT_ORDER)
    return queryset.annotate(shown_run=Subquery(newest.values("pk")[:1])).values("shown_run")


def latest_run(round_id: int) -> AggregationRun | None:
    return AggregationRun.objects.filter(round_id=round_id).order_by("-requested_at", "-id").first()


def round_results(round_id: int) -> RoundResults:
    """The shown run and its result rows (two queries here, one per queryset used)."""
    run = shown_run(round_id)
    active = AggregationRun.objects.filter(
        round_id=round_id, status__in=[AggregationRun.Status.QUEUED, AggregationRun.Status.RUNNING]
    )
    if run is not None:
        active = active.filter(requested_at__gte=run.requested_at).exclude(pk=run.pk)
    run_id = run.pk if run is not None else None
    items = ItemResult.objects.filter(run_id=run_id).order_by(
        "area__order", "area_id", "criterion__order", "criterion_id", "group"
    )
    return RoundResults(
        run=run,
        updating=active.exists(),
        items=items,
        panel_items=items.filter(group=""),
        criteria=CriterionAgreement.objects.filter(run_id=run_id).order_by("criterion__order", "criterion_id"),
        cross_bloc=CrossBloc.objects.filter(run_id=run_id).order_by(
            "area__order", "area_id", "criterion__order", "criterion_id"
        ),
        verdicts=AreaVerdict.objects.filter(run_id=run_id, group="").order_by("area__order", "area_id"),
        bloc_verdicts=AreaVerdict.objects.filter(run_id=run_id)
        .exclude(group="")
        .order_by("group", "area__order", "area_id"),
    )


def shown_item_rows(round_id: int) -> QuerySet[ItemResult]:
    """Every item row of the shown run, suppressed ones included (their n decides what else may be shown)."""
    return ItemResult.objects.filter(run_id__in=shown_runs([round_id]))
