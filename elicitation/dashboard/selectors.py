"""Reads for the coordinator dashboard: each function is a fixed number of queries, whatever the study's size.

Every function takes the study (already access-checked by ``core.access.study_for_member``)
or one of its rounds, and returns plain dataclasses or dicts the views and templates can use without
touching the database again. The query count of each is in its docstring; the dashboard tests assert the
totals per page at two study sizes.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.utils import timezone

from aggregation.jobs import run_due_in_process
from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from aggregation.selectors import latest_run, round_results, shown_runs
from analysis.disclosure import dissent_disclosed
from elicitation.models import Area, Criterion, Expert, Participation, Round, RoundItem, Study
from elicitation.rounds.dissent import rating_dissent_counts
from elicitation.rounds.selectors import areas_as_asked

PANEL = ""
STAGES = ("invited", "opened", "started", "submitted")


@dataclass(frozen=True)
class ResultsStatus:
    """What the "results as of …" line says: the latest done run and whether a newer one is on its way."""

    run: AggregationRun | None
    updating: bool
    failed: AggregationRun | None = None  # the newest run, when it failed after the one shown
    waiting: AggregationRun | None = None  # the newest run, queued but not yet sent: the task queue is unreachable

    @property
    def as_of(self) -> datetime | None:
        return self.run.finished_at if self.run else None


@dataclass(frozen=True)
class Label:
    """An area or criterion as the dashboard names it, in the reader's language."""

    id: int
    code: str
    title: str
    kind: str = ""
    scale: tuple[int, int] = (1, 9)
    active: bool = True


@dataclass
class Counts:
    """Participation counts for one round and one slice of the panel (all, a bloc or a sector)."""

    invited: int = 0
    opened: int = 0
    started: int = 0
    submitted: int = 0

    def add(self, other: Counts) -> None:
        for stage in STAGES:
            setattr(self, stage, getattr(self, stage) + getattr(other, stage))

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.submitted / self.invited if self.invited else None


@dataclass
class RoundParticipation:
    """One round's participation: totals, per bloc, per sector, attrition and time to respond."""

    number: int
    total: Counts = field(default_factory=Counts)
    by_bloc: dict[str, Counts] = field(default_factory=dict)
    by_sector: dict[str, Counts] = field(default_factory=dict)
    attrition: float | None = None  # percent fewer submissions than the round before
    median_response: timedelta | None = None


def study_rounds(study: Study) -> list[Round]:
    """The study's rounds by number, each with its consensus rule (one query)."""
    return list(study.rounds.select_related("consensus_rule").order_by("number"))


def default_round(rounds: Sequence[Round]) -> Round | None:
    """The round a coordinator most likely wants: the open one, else the newest that has been opened."""
    for round_ in rounds:
        if round_.is_open:
            return round_
    started = [r for r in rounds if r.status != Round.Status.DRAFT] or list(rounds)
    return started[-1] if started else None


def previous_round(rounds: Sequence[Round], round_: Round) -> Round | None:
    earlier = [r for r in rounds if r.number < round_.number]
    return earlier[-1] if earlier else None


def results_status(round_: Round | None) -> ResultsStatus:
    """The latest done run, whether a newer one is queued or running, and a newer failure (three queries)."""
    if round_ is None:
        return ResultsStatus(run=None, updating=False)
    run_due_in_process(round_.pk)  # tasks in-process (the demo): the saves' coalesced job runs on this read
    results = round_results(round_.pk)
    newest = latest_run(round_.pk)
    failed = waiting = None
    if newest is not None and newest.status == AggregationRun.Status.FAILED and newest != results.run:
        failed = newest
    if newest is not None and _undispatched(newest):
        waiting = newest
    return ResultsStatus(run=results.run, updating=results.updating, failed=failed, waiting=waiting)


def _undispatched(run: AggregationRun) -> bool:
    """Due, queued and never sent for longer than a publish takes: the broker was down when it was due."""
    grace = timedelta(seconds=settings.AGGREGATION_DISPATCH_GRACE_SECONDS)
    due = run.not_before or run.requested_at
    return run.status == AggregationRun.Status.QUEUED and run.dispatched_at is None and due <= timezone.now() - grace


def labels(study: Study, language: str | None, *, round_number: int | None = None) -> tuple[list[Label], list[Label]]:
    """The study's areas and criteria in display order, titles in ``language`` (two queries).

    With ``round_number``, each area's title is the wording that round asked: an area reworded after it
    shows the wording kept by its first later revision (``elicitation.rounds.selectors.areas_as_asked``).
    """
    in_order = Area.objects.filter(study=study).order_by("order", "id")
    found = list(in_order) if round_number is None else areas_as_asked(in_order, round_number)
    areas = [Label(id=a.pk, code=a.code, title=a.localized(language)["title"], active=a.is_active) for a in found]
    criteria = [
        Label(
            id=c.pk,
            code=c.code,
            title=c.localized(language)["title"],
            kind=c.kind,
            scale=(c.scale_min, c.scale_max),
            active=c.is_active,
        )
        for c in Criterion.objects.filter(study=study).order_by("order", "id")
    ]
    return areas, criteria


def item_results(round_ids: Sequence[int], *, group: str = PANEL) -> dict[tuple[int, int, int], ItemResult]:
    """Result rows of one group in the given rounds, keyed by (round id, area id, criterion id) (one query)."""
    rows = ItemResult.objects.filter(run_id__in=shown_runs(list(round_ids)), group=group)
    return {(r.round_id, r.area_id, r.criterion_id): r for r in rows}


def panel_history(study: Study) -> dict[tuple[int, int, int], ItemResult]:
    """The panel rows of every round of the study, keyed by (round number, area id, criterion id) (one query)."""
    rows = (
        ItemResult.objects.filter(run_id__in=shown_runs(Round.objects.filter(study=study)), group=PANEL)
        .select_related("round")
        .only(
            "round__number",
            "area_id",
            "criterion_id",
            "suppressed",
            "n",
            "median",
            "iqr",
            "cns",
            "consensus",
            "stability_pairs",
            "delta_cv",
            "wilcoxon_p",
            "changed_share",
            "cv",
        )
    )
    return {(r.round.number, r.area_id, r.criterion_id): r for r in rows}


def item_dissent(round_: Round, *, k: int) -> dict[tuple[int, int], int | None]:
    """Per (area, criterion), what may be said of the experts who recorded dissent in the round (one query):
    their number when k or more, None when fewer (only that dissent exists), nothing for no dissent."""
    counts = rating_dissent_counts([round_.pk])
    return {(area, criterion): dissent_disclosed(n, k=k) for (_r, area, criterion), n in counts.items()}


def area_verdicts(round_id: int) -> dict[int, AreaVerdict]:
    """The panel's cooperation verdict of each area in the round, keyed by area id (one query)."""
    return {v.area_id: v for v in AreaVerdict.objects.filter(run_id__in=shown_runs([round_id]), group="")}


def bloc_verdicts(round_id: int) -> dict[tuple[str, int], AreaVerdict]:
    """Each bloc's cooperation verdict per area, keyed by (bloc, area id) (one query).

    Only blocs with at least k ratings behind a verdict have one (see ``analysis.verdicts``).
    """
    shown = AreaVerdict.objects.filter(run_id__in=shown_runs([round_id])).exclude(group="")
    return {(v.group, v.area_id): v for v in shown}


def divided_items(round_id: int) -> list[CrossBloc]:
    """Items split along bloc lines, the largest divide first (one query).

    The size of a divide is the largest difference between shown bloc medians; ties go to the smaller
    Kruskal-Wallis p, then to the study's order of areas and criteria.
    """
    return list(
        CrossBloc.objects.filter(run_id__in=shown_runs([round_id]), verdict=CrossBloc.Verdict.SPLIT).order_by(
            F("max_median_difference").desc(nulls_last=True),
            F("kruskal_p").asc(nulls_last=True),
            "area__order",
            "area_id",
            "criterion__order",
            "criterion_id",
        )
    )


def cross_bloc_counts(round_id: int) -> dict[str, int]:
    """How many items have each cross-bloc verdict in the round (one query)."""
    rows = CrossBloc.objects.filter(run_id__in=shown_runs([round_id])).values("verdict").annotate(count=Count("id"))
    return {row["verdict"]: row["count"] for row in rows}


def criterion_agreement(round_id: int) -> dict[int, CriterionAgreement]:
    """Kendall's W and Krippendorff's alpha per criterion, keyed by criterion id (one query)."""
    return {row.criterion_id: row for row in CriterionAgreement.objects.filter(run_id__in=shown_runs([round_id]))}


def items_asked(study: Study) -> dict[int, set[tuple[int, int]]]:
    """The (area id, criterion id) pairs each round asks, keyed by round number (one query)."""
    asked: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for number, area_id, criterion_id in RoundItem.objects.filter(round__study=study).values_list(
        "round__number", "area_id", "criterion_id"
    ):
        asked[number].add((area_id, criterion_id))
    return dict(asked)


def panel_composition(study: Study) -> tuple[dict[str, int], dict[str, int]]:
    """Active experts counted by bloc and by sector, in the study's own order first (one query)."""
    by_bloc: dict[str, int] = dict.fromkeys(study.blocs, 0)
    by_sector: dict[str, int] = dict.fromkeys(study.sectors, 0)
    rows = Expert.objects.filter(study=study, is_active=True).values("bloc", "sector").annotate(count=Count("id"))
    for row in rows:
        by_bloc[row["bloc"]] = by_bloc.get(row["bloc"], 0) + row["count"]
        by_sector[row["sector"]] = by_sector.get(row["sector"], 0) + row["count"]
    return by_bloc, by_sector


def participation(study: Study) -> list[RoundParticipation]:
    """Invited, opened, started and submitted per round, bloc and sector; attrition; median time (two queries).

    Time to respond runs from the invitation to the submission. Attrition compares each round's
    submissions with the round before. In strict anonymity mode only the totals are given.
    """
    rounds: dict[int, RoundParticipation] = {}
    strict = study.anonymity == Study.Anonymity.STRICT
    counted = (
        Participation.objects.filter(round__study=study)
        .values("round__number", "expert__bloc", "expert__sector")
        .annotate(
            invited=Count("invited_at"),
            opened=Count("opened_at"),
            started=Count("started_at"),
            submitted=Count("submitted_at"),
        )
        .order_by("round__number")
    )
    for row in counted:
        entry = rounds.setdefault(row["round__number"], RoundParticipation(number=row["round__number"]))
        counts = Counts(
            invited=row["invited"], opened=row["opened"], started=row["started"], submitted=row["submitted"]
        )
        entry.total.add(counts)
        if strict:
            continue  # a bloc or sector of a few known members would say who started: totals only
        entry.by_bloc.setdefault(row["expert__bloc"], Counts()).add(counts)
        entry.by_sector.setdefault(row["expert__sector"], Counts()).add(counts)
    durations: dict[int, list[timedelta]] = defaultdict(list)
    took = ExpressionWrapper(F("submitted_at") - F("invited_at"), output_field=DurationField())
    for number, duration in (
        Participation.objects.filter(round__study=study, submitted_at__isnull=False, invited_at__isnull=False)
        .annotate(took=took)
        .values_list("round__number", "took")
    ):
        durations[number].append(duration)
    ordered = [rounds[number] for number in sorted(rounds)]
    for before, entry in zip([None, *ordered], ordered, strict=False):
        if durations.get(entry.number):
            seconds = statistics.median(d.total_seconds() for d in durations[entry.number])
            entry.median_response = timedelta(seconds=seconds)
        if before is not None and before.total.submitted:
            entry.attrition = 100.0 * (before.total.submitted - entry.total.submitted) / before.total.submitted
    return ordered


def shown_labels(
    areas: Sequence[Label], criteria: Sequence[Label], rows: Iterable[tuple[int, int]]
) -> tuple[list[Label], list[Label]]:
    """Active areas and criteria, plus retired ones that still have results in the rows given."""
    keys = list(rows)
    with_areas = {area_id for area_id, _criterion_id in keys}
    with_criteria = {criterion_id for _area_id, criterion_id in keys}
    return (
        [a for a in areas if a.active or a.id in with_areas],
        [c for c in criteria if c.active or c.id in with_criteria],
    )
