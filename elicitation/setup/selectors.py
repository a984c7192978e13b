"""The coordinator's study page in a fixed number of queries, whatever the study's size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Q

from elicitation.models import Area, ConsensusRule, Criterion, Expert, Round, RoundItem, Study


@dataclass
class PanelCounts:
    active: int = 0
    inactive: int = 0
    by_bloc: list[tuple[str, int]] = field(default_factory=list)
    by_sector: list[tuple[str, int]] = field(default_factory=list)
    grid: list[tuple[str, list[int]]] = field(default_factory=list)  # bloc → counts per sector (active experts)
    sectors: list[str] = field(default_factory=list)


@dataclass
class StudyOverview:
    study: Study
    rule: ConsensusRule | None
    coordinators: list[User]
    areas: list[Area]
    criteria: list[Criterion]
    asked: set[tuple[int, int]]  # (area id, criterion id) pairs of the latest round
    latest_round: Round | None
    rounds: list[Round]
    panel: PanelCounts
    matrix: list[tuple[Area, list[bool]]] = field(default_factory=list)


def panel_counts(study: Study) -> PanelCounts:
    """Experts by bloc and sector in one query; groups listed in the study's order, then any others."""
    rows = Expert.objects.filter(study=study).values_list("bloc", "sector", "is_active").annotate(n=Count("id"))
    counts = PanelCounts()
    blocs: Counter[str] = Counter()
    sectors: Counter[str] = Counter()
    cells: Counter[tuple[str, str]] = Counter()
    for bloc, sector, active, n in rows:
        if not active:
            counts.inactive += n
            continue
        counts.active += n
        blocs[bloc] += n
        sectors[sector] += n
        cells[(bloc, sector)] += n
    bloc_names = [*study.blocs, *sorted(set(blocs) - set(study.blocs))]
    sector_names = [*study.sectors, *sorted(set(sectors) - set(study.sectors))]
    counts.by_bloc = [(name, blocs[name]) for name in bloc_names]
    counts.by_sector = [(name, sectors[name]) for name in sector_names]
    counts.sectors = sector_names
    counts.grid = [(bloc, [cells[(bloc, sector)] for sector in sector_names]) for bloc in bloc_names]
    return counts


def rounds_with_counts(study: Study) -> list[Round]:
    """Rounds with participation counts (invited, opened, started, submitted) and item counts."""
    participation = {
        "invited": "invited_at",
        "opened": "opened_at",
        "started": "started_at",
        "submitted": "submitted_at",
    }
    counts: dict[str, Any] = {
        name: Count("participations", filter=Q(**{f"participations__{column}__isnull": False}), distinct=True)
        for name, column in participation.items()
    }
    counts["participant_count"] = Count("participations", distinct=True)
    counts["item_count"] = Count("items", distinct=True)
    return list(study.rounds.annotate(**counts).order_by("number"))


def study_overview(study: Study) -> StudyOverview:
    rule = study.consensus_rules.order_by("-version").first()
    coordinators = list(study.coordinators.order_by("username"))
    areas = list(study.areas.all())
    criteria = list(study.criteria.all())
    rounds = rounds_with_counts(study)
    latest = rounds[-1] if rounds else None
    asked: set[tuple[int, int]]
    if latest is not None:
        asked = set(RoundItem.objects.filter(round=latest).values_list("area_id", "criterion_id"))
    else:
        asked = {(a.pk, c.pk) for a in areas if a.is_active for c in criteria if c.is_active}
    overview = StudyOverview(
        study=study,
        rule=rule,
        coordinators=coordinators,
        areas=areas,
        criteria=criteria,
        asked=asked,
        latest_round=latest,
        rounds=rounds,
        panel=panel_counts(study),
    )
    overview.matrix = [(area, [(area.pk, c.pk) in asked for c in criteria]) for area in areas]
    return overview
