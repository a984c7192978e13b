"""The results summary an expert receives when a study ends: the panel's answers to the final round, per area.

It shows no more than the feedback page would: the figures come from ``selectors.source_feedback`` (the
feedback page's own reader and its disclosure control), so an item answered by fewer than k people shows
no median and no spread, and an area's verdict is shown only when every figure behind it may be. It names
nobody and quotes nobody: no rationale, no bloc, only the panel's anonymous aggregates and the reader's own
last answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation

from aggregation.models import AreaVerdict
from aggregation.selectors import round_results
from elicitation.expert.selectors import ItemKey, Stats, source_feedback
from elicitation.models import EmailJob, Expert, Participation, Round, RoundItem, Study


@dataclass(frozen=True)
class SummaryItem:
    criterion: str
    n: int
    stats: Stats | None  # None: fewer than k answered, nothing shown
    own_value: int | None
    own_cannot_judge: bool
    scale_min: int
    scale_max: int

    @property
    def suppressed(self) -> bool:
        return self.stats is None


@dataclass
class SummaryArea:
    title: str
    verdict: str  # the verdict's label in the reader's language; "" when not shown
    items: list[SummaryItem] = field(default_factory=list)


@dataclass
class ResultsSummary:
    study: Study
    round: Round  # the final round, whose answers are summarised
    rounds: int  # how many rounds the study ran
    min_group_size: int
    areas: list[SummaryArea]


def final_round(study: Study) -> Round | None:
    """The round a study's summary reports on: its newest closed round, once no round is open (else None)."""
    rounds = list(Round.objects.filter(study=study).exclude(status=Round.Status.DRAFT).order_by("-number")[:1])
    if not rounds or rounds[0].status != Round.Status.CLOSED:
        return None
    rounds[0].study = study
    return rounds[0]


def took_part(study: Study) -> list[int]:
    """The ids of the study's reachable experts who submitted in at least one round (who gets a summary)."""
    submitted = Participation.objects.filter(round__study=study, submitted_at__isnull=False).values("expert_id")
    return list(
        study.experts.filter(pk__in=submitted, is_active=True, erased_at__isnull=True)
        .order_by("number")
        .values_list("pk", flat=True)
    )


def results_summary(*, round_: Round, expert: Expert, language: str) -> ResultsSummary:
    """The summary of ``round_`` (a study's final round) for ``expert``, in ``language``; 6 queries at most."""
    study = round_.study
    asked = list(RoundItem.objects.filter(round=round_).select_related("area", "criterion"))
    keys: list[tuple[ItemKey, int, int]] = [
        ((item.area_id, item.criterion_id), item.criterion.scale_min, item.criterion.scale_max) for item in asked
    ]
    feedback = source_feedback(source=round_, live=False, expert=expert, items=keys)
    verdicts = {row.area_id: row for row in round_results(round_.pk).verdicts}
    areas: dict[int, SummaryArea] = {}
    with translation.override(language):
        for item in asked:
            shown = feedback.items[(item.area_id, item.criterion_id)]
            area = areas.get(item.area_id)
            if area is None:
                area = areas[item.area_id] = SummaryArea(title=item.area.localized(language)["title"], verdict="")
            area.items.append(
                SummaryItem(
                    criterion=item.criterion.localized(language)["title"],
                    n=shown.n,
                    stats=shown.stats,
                    own_value=shown.own_value,
                    own_cannot_judge=shown.own_cannot_judge,
                    scale_min=item.criterion.scale_min,
                    scale_max=item.criterion.scale_max,
                )
            )
        for area_id, area in areas.items():
            verdict: AreaVerdict | None = verdicts.get(area_id)
            # A verdict is drawn from the medians: shown only when every median behind it may be shown.
            if verdict is not None and not any(item.suppressed for item in area.items):
                area.verdict = str(verdict.get_verdict_display())
    return ResultsSummary(
        study=study,
        round=round_,
        rounds=Round.objects.filter(study=study, status=Round.Status.CLOSED).count(),
        min_group_size=study.min_group_size,
        areas=list(areas.values()),
    )


def summary_sent_to(expert: Expert) -> bool:
    """Whether the coordinators sent ``expert`` the results summary (only then may their link show it)."""
    return EmailJob.objects.filter(expert=expert, kind=EmailJob.Kind.RESULTS_SUMMARY, sent=True).exists()
