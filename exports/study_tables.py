"""The tables that describe what was asked: areas, criteria, the items of each round with the wording
experts saw, the wording changes, and the experts' suggestions with what became of them.

Small tables (one row per area, criterion, item or suggestion), each read in one or two queries.
The wording of an area in round r comes from its ``AreaRevision`` history: the new wording of the
last revision first shown in round r or before, else the old wording of the first revision shown
later (the wording before any change), else the current wording.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from elicitation.models import Area, AreaRevision, Criterion, RoundItem, Suggestion
from exports.cells import neutralise_cell
from exports.table_types import Column, Scope, Table

AREA = Column("area", "string", "Area code, as in every other table.")
CRITERION = Column("criterion", "string", "Criterion code, as in every other table.")
ROUND = Column("round", "int", "Round number, 1 for the first round.")
SUGGESTION_IDS = Column(
    "suggestions",
    "string",
    "The suggestions the area was made from, as their ids in the suggestions table, separated by ';'.",
    "S-01;S-02 …; empty when the area was not made from suggestions",
)


def _neutral(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(neutralise_cell(v) for v in row)


def _small_table(name: str, title: str, description: str, columns: list[Column], make: Any) -> Table:
    return Table(
        name=name,
        title=title,
        description=description,
        columns=columns,
        rows=lambda: (_neutral(r) for r in make()),
        count=lambda: sum(1 for _ in make()),
    )


def suggestion_ids(scope: Scope) -> dict[int, str]:
    """Suggestion pk -> S-01, S-02 …, numbered by round, then text: no order by expert or by time."""
    suggestions = Suggestion.objects.filter(round__study=scope.study).order_by("round__number", "text", "pk")
    return {pk: f"S-{i:02d}" for i, pk in enumerate(suggestions.values_list("pk", flat=True), start=1)}


def areas_table(scope: Scope) -> Table:
    columns = [
        AREA,
        Column("title", "string", "The area's title now (see round_items for the wording each round asked)."),
        Column("description", "string", "The area's description now."),
        Column("order", "int", "Position in the study's list of areas, from 0."),
        Column("active", "bool", "Whether the area is still in use.", "True; False"),
        SUGGESTION_IDS,
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        ids = suggestion_ids(scope)
        links = defaultdict(list)
        for area_id, suggestion_id in Area.suggestions.through.objects.filter(area__study=scope.study).values_list(
            "area_id", "suggestion_id"
        ):
            links[area_id].append(ids[suggestion_id])
        for area in Area.objects.filter(study=scope.study).order_by("order", "id"):
            yield area.code, area.title, area.description, area.order, area.is_active, ";".join(sorted(links[area.pk]))

    return _small_table("areas", "Areas", "Every area of the study, in its order.", columns, make)


def criteria_table(scope: Scope) -> Table:
    columns = [
        CRITERION,
        Column(
            "kind",
            "string",
            "Whether a high rating is good or bad.",
            "benefit = higher is better; risk = higher is riskier; "
            "mitigability = higher means safeguards reduce the risks more",
        ),
        Column("title", "string", "The criterion's title."),
        Column("description", "string", "The criterion's description."),
        Column("scale_min", "int", "Lowest point of the rating scale."),
        Column("scale_max", "int", "Highest point of the rating scale."),
        Column("label_min", "string", "What the lowest point means, as experts saw it."),
        Column("label_max", "string", "What the highest point means, as experts saw it."),
        Column("allow_cannot_judge", "bool", 'Whether experts could answer "cannot judge".', "True; False"),
        Column("order", "int", "Position in the study's list of criteria, from 0."),
        Column("active", "bool", "Whether the criterion is still in use.", "True; False"),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        for c in Criterion.objects.filter(study=scope.study).order_by("order", "id"):
            yield (
                c.code, c.kind, c.title, c.description, c.scale_min, c.scale_max,
                c.label_min, c.label_max, c.allow_cannot_judge, c.order, c.is_active,
            )  # fmt: skip

    return _small_table("criteria", "Criteria", "Every criterion of the study, with its scale.", columns, make)


def wording_in_round(revisions: list[AreaRevision], current: tuple[str, str], number: int) -> tuple[str, str]:
    """(title, description) an area had in round ``number``, from its revisions in the order they were made."""
    shown = [r for r in revisions if r.round_number <= number]
    if shown:
        return shown[-1].new_title, shown[-1].new_description
    later = [r for r in revisions if r.round_number > number]
    if later:
        return later[0].old_title, later[0].old_description
    return current


def _revisions_by_area(scope: Scope) -> dict[int, list[AreaRevision]]:
    revisions: dict[int, list[AreaRevision]] = defaultdict(list)
    for revision in AreaRevision.objects.filter(area__study=scope.study).order_by("changed_at", "id"):
        revisions[revision.area_id].append(revision)
    return revisions


def round_items_table(scope: Scope) -> Table:
    columns = [
        ROUND,
        AREA,
        CRITERION,
        Column("area_title", "string", "The area's title as experts saw it in this round."),
        Column("area_description", "string", "The area's description as experts saw it in this round."),
        Column(
            "reworded",
            "bool",
            "Whether the area's wording differs from the round before (experts were shown the change).",
            "True; False (always False in round 1)",
        ),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        revisions = _revisions_by_area(scope)
        items = (
            RoundItem.objects.filter(round_id__in=scope.round_ids)
            .select_related("round", "area", "criterion")
            .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id")
        )
        for item in items:
            area, number = item.area, item.round.number
            current = (area.title, area.description)
            title, description = wording_in_round(revisions[area.pk], current, number)
            before = wording_in_round(revisions[area.pk], current, number - 1) if number > 1 else (title, description)
            reworded = (title, description) != before
            yield number, area.code, item.criterion.code, title, description, reworded

    return _small_table(
        "round_items",
        "Items asked per round",
        "Every item (area x criterion) asked in each round, with the area's wording that round.",
        columns,
        make,
    )


def wording_changes_table(scope: Scope) -> Table:
    columns = [
        AREA,
        Column("first_round", "int", "The first round that showed the new wording."),
        Column("old_title", "string", "The title before the change."),
        Column("new_title", "string", "The title after the change."),
        Column("old_description", "string", "The description before the change."),
        Column("new_description", "string", "The description after the change."),
        Column("day", "date", "The day (UTC) the coordinator made the change."),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        revisions = AreaRevision.objects.filter(area__study=scope.study).select_related("area")
        for r in revisions.order_by("changed_at", "id"):
            day = r.changed_at.astimezone(dt.UTC).date().isoformat()
            yield r.area.code, r.round_number, r.old_title, r.new_title, r.old_description, r.new_description, day

    return _small_table(
        "wording_changes", "Wording changes", "Every rewording of an area, in the order made.", columns, make
    )


def suggestions_table(scope: Scope) -> Table:
    """Standard anonymity adds the author's pseudonym; strict leaves it out (the text may give its author away)."""
    columns = [
        Column("suggestion", "string", "The suggestion's id in this export (S-01, S-02 …, by round, then text)."),
        ROUND,
        *([] if scope.strict else [Column("pseudonym", "string", "The pseudonym of the expert who suggested it.")]),
        Column("text", "string", "The suggestion as written (formula-like starts neutralised)."),
        Column(
            "areas",
            "string",
            "The areas made from the suggestion, by code, separated by ';'.",
            "area codes; empty when no area was made from it",
        ),
    ]

    def make() -> Iterator[tuple[Any, ...]]:
        ids = suggestion_ids(scope)
        made = defaultdict(list)
        for suggestion_id, code in Area.suggestions.through.objects.filter(area__study=scope.study).values_list(
            "suggestion_id", "area__code"
        ):
            made[suggestion_id].append(code)
        suggestions = Suggestion.objects.filter(pk__in=ids).select_related("round", "expert")
        for s in sorted(suggestions, key=lambda s: ids[s.pk]):
            author = [] if scope.strict else [s.expert.pseudonym]
            yield ids[s.pk], s.round.number, *author, s.text, ";".join(sorted(made[s.pk]))

    return _small_table(
        "suggestions",
        "Suggestions",
        "The new areas experts suggested, and the areas the coordinators made from them.",
        columns,
        make,
    )
