"""Reads for the rounds pages: each a fixed number of queries, whatever the size of the panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from elicitation.models import (
    Area,
    AreaResponse,
    AreaRevision,
    Criterion,
    Expert,
    Participation,
    PilotResponse,
    Round,
    RoundItem,
    Study,
    Suggestion,
)


def rounds_for_study(study: Study) -> QuerySet[Round]:
    return study.rounds.annotate(
        item_count=Count("items", distinct=True),
        participant_count=Count("participations", distinct=True),
        invited_count=Count("participations", filter=Q(participations__invited_at__isnull=False), distinct=True),
        submitted_count=Count("participations", filter=Q(participations__submitted_at__isnull=False), distinct=True),
    ).order_by("number")


def round_of_study(study: Study, round_uuid: UUID | str) -> Round:
    """The round if it belongs to ``study`` (already checked for the coordinator); otherwise 404.

    ``followed`` says whether a later round exists (other than the next round's draft): then the
    next round can no longer be planned from this one.
    """
    later = Round.objects.filter(study_id=OuterRef("study_id"), number__gt=OuterRef("number")).exclude(
        number=OuterRef("number") + 1, status=Round.Status.DRAFT
    )
    round_: Round = get_object_or_404(
        Round.objects.select_related("consensus_rule").annotate(item_count=Count("items"), followed=Exists(later)),
        study=study,
        uuid=round_uuid,
    )
    round_.study = study
    return round_


def participations_of_round(round_: Round) -> list[Participation]:
    return list(
        round_.participations.select_related("expert")
        .order_by("expert__number")
        .only(
            "invited_at",
            "opened_at",
            "started_at",
            "submitted_at",
            "last_reminded_at",
            "reminder_count",
            "round_id",
            "expert__number",
            "expert__name",
            "expert__uuid",
            "expert__is_active",
            "expert__erased_at",
            "expert__language",
        )
    )


def experts_not_in_round(round_: Round) -> int:
    """Active experts added after the round opened: they join it when invitations are sent."""
    return (
        round_.study.experts.filter(is_active=True, erased_at__isnull=True)
        .exclude(participations__round=round_)
        .count()
    )


@dataclass(frozen=True)
class ItemGrid:
    """Areas × criteria with the pairs chosen, for the item-choice form."""

    areas: list[Area]
    criteria: list[Criterion]
    chosen: set[tuple[int, int]]
    consensus: set[tuple[int, int]]

    def rows(self) -> list[tuple[Area, list[tuple[Criterion, bool, bool]]]]:
        return [
            (area, [(c, (area.pk, c.pk) in self.chosen, (area.pk, c.pk) in self.consensus) for c in self.criteria])
            for area in self.areas
        ]


def item_grid(study: Study, *, chosen: set[tuple[int, int]], consensus: set[tuple[int, int]]) -> ItemGrid:
    """Active areas and criteria, plus retired ones that are still chosen (so they can be dropped)."""
    chosen_areas = {a for a, _ in chosen}
    chosen_criteria = {c for _, c in chosen}
    areas = list(study.areas.filter(Q(is_active=True) | Q(pk__in=chosen_areas)).order_by("order", "pk"))
    criteria = list(study.criteria.filter(Q(is_active=True) | Q(pk__in=chosen_criteria)).order_by("order", "pk"))
    return ItemGrid(areas=areas, criteria=criteria, chosen=chosen, consensus=consensus)


def rationales_of_round(round_: Round) -> list[AreaResponse]:
    return list(rationale_rows(round_))


def rationale_rows(round_: Round) -> QuerySet[AreaResponse]:
    """The round's rationales to moderate (the page's and the API's list), by area and then expert; one query."""
    return (
        round_.area_responses.exclude(rationale="")
        .select_related("area", "expert", "hidden_by", "translated_by")
        .order_by("area__order", "area_id", "expert__number")
        .only(
            "uuid",
            "rationale",
            "rationale_language",
            "translation",
            "translation_language",
            "translated_at",
            "translated_by__username",
            "hidden_at",
            "confidence",
            "round_id",
            "area__uuid",
            "area__code",
            "area__title",
            "area__order",
            "expert__number",
            "hidden_by__username",
        )
    )


def suggestions_of_study(study: Study) -> list[Suggestion]:
    return list(
        Suggestion.objects.filter(round__study=study)
        .select_related("round", "expert")
        .annotate(area_count=Count("areas"))
        .order_by("round__number", "created_at", "pk")
    )


def suggestion_rows(study: Study) -> QuerySet[Suggestion]:
    """The experts' suggestions of new areas (the API's list), each with the areas made from it; two queries."""
    return (
        Suggestion.objects.filter(round__study=study)
        .select_related("round")
        .prefetch_related(Prefetch("areas", queryset=Area.objects.only("pk", "code").order_by("order", "pk")))
        .order_by("round__number", "created_at", "pk")
    )


def area_revisions_for_round(round_: Round, *, language: str | None = None) -> dict[int, AreaRevision]:
    """Areas reworded since experts last saw them: area id → the first revision shown in this round.

    The first one holds the wording of the previous round (``old_title``, ``old_description``),
    even if the area was reworded more than once in between. Round 1 has no previous wording.
    With ``language``, only rewordings of that language's text: what an expert reading it sees change.
    """
    if round_.number <= 1:
        return {}
    revisions = AreaRevision.objects.filter(area__study_id=round_.study_id, round_number=round_.number)
    if language is not None:
        revisions = revisions.filter(language=language)
    first: dict[int, AreaRevision] = {}
    for revision in revisions.order_by("changed_at", "pk"):
        first.setdefault(revision.area_id, revision)
    return first


def areas_as_asked(areas: QuerySet[Area], round_number: int) -> list[Area]:
    """The areas with the wording round ``round_number`` asked, in every language (still one query).

    Revisions are kept per language (``AreaRevision.language``), each with every translation as it was
    before its change (``old_translations``). The default language's title and description as asked are the
    old wording of its first revision after that round (the lowest ``round_number`` above it, the earliest
    change among those); the translations as asked are those kept by the first later revision of any
    language. An area not reworded since keeps its current wording.
    """
    later = AreaRevision.objects.filter(area=OuterRef("pk"), round_number__gt=round_number).order_by(
        "round_number", "changed_at", "pk"
    )
    later_default = later.filter(language=OuterRef("study__default_language"))
    found = areas.annotate(
        asked_title=Subquery(later_default.values("old_title")[:1]),
        asked_description=Subquery(later_default.values("old_description")[:1]),
        asked_translations=Subquery(later.values("old_translations")[:1]),
    )
    result: list[Area] = []
    for area in found:
        if area.asked_title is not None:
            area.title = area.asked_title
            area.description = area.asked_description
        if area.asked_translations is not None:
            area.translations = area.asked_translations
        result.append(area)
    return result


def earlier_rationales(*, expert: Expert, round_: Round, area_id: int | None = None) -> dict[int, str]:
    """The expert's own reasons of the round before ``round_``, per area: carried over into this one.

    No query in round 1. With ``area_id``, that area's only.
    """
    if round_.number <= 1:
        return {}
    rows = AreaResponse.objects.filter(expert=expert, round__study_id=round_.study_id, round__number=round_.number - 1)
    if area_id is not None:
        rows = rows.filter(area_id=area_id)
    return dict(rows.exclude(rationale="").values_list("area_id", "rationale"))


@dataclass
class PilotTable:
    """The pilot runs of a round (columns) against its items (rows): two queries at any size."""

    responses: list[PilotResponse]
    rows: list[tuple[str, str, list[str]]]  # (area title, criterion code, one cell per response)
    notes: list[tuple[str, list[dict[str, Any]]]]  # (area title, one note per response)


def pilot_table(round_: Round) -> PilotTable:
    items = list(
        RoundItem.objects.filter(round=round_)
        .select_related("area", "criterion")
        .order_by("area__order", "area_id", "criterion__order", "criterion_id")
    )
    responses = list(PilotResponse.objects.filter(round=round_).select_related("tester").order_by("created_at", "id"))
    given = [
        {(a["area"], a["criterion"]): ("×" if a["cannot_judge"] else str(a["value"])) for a in r.answers}
        for r in responses
    ]
    rows = [
        (
            item.area.title,
            item.criterion.code,
            [cells.get((item.area.code, item.criterion.code), "—") for cells in given],
        )
        for item in items
    ]
    areas = list(dict.fromkeys((item.area.code, item.area.title) for item in items))
    notes = [(title, [r.area_notes.get(code, {}) for r in responses]) for code, title in areas]
    return PilotTable(responses=responses, rows=rows, notes=notes)
