"""Which ratings the results count: the one place that reads the inclusion (the plan in force, else the rule).

Aggregation, the expert's feedback and the exports all read ratings through here, so "n experts rated it"
means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, cast

from django.db.models import CharField, Exists, F, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from elicitation.models import AnalysisPlan, ConsensusRule, Participation, Rating

T = TypeVar("T", bound=Model)


def counted_ratings(round_id: int) -> QuerySet[Rating]:
    """The ratings results count (one lazy query, no extra lookups): those of experts who submitted the
    round, or every saved rating when the study's analysis plan in force counts all saved answers (a round of
    a study without a plan: its rule's choice).

    Results, feedback and the exports all read through here, so "n experts rated it" and the participation
    page's "submitted" agree. A round without a rule counts submitted answers, the default of every rule.
    """
    return counted_ratings_of_rounds([round_id])


def counted_ratings_of_rounds(round_ids: Sequence[int]) -> QuerySet[Rating]:
    """:func:`counted_ratings` of several rounds at once, each under its own rule (one lazy query)."""
    return counted(Rating.objects.filter(round_id__in=list(round_ids)))


def counted(answers: QuerySet[T]) -> QuerySet[T]:
    """Keep the answers results count, of any model with a round and an expert (ratings, quantity answers)."""
    submitted = Participation.objects.filter(
        round_id=OuterRef("round_id"), expert_id=OuterRef("expert_id"), submitted_at__isnull=False
    )
    planned = AnalysisPlan.objects.filter(study_id=OuterRef("round__study_id")).order_by("-version")
    inclusion = Coalesce(
        Subquery(planned.annotate(inclusion=KeyTextTransform("inclusion", "content")).values("inclusion")[:1]),
        F("round__consensus_rule__inclusion"),
        output_field=CharField(),
    )
    kept = answers.alias(inclusion=inclusion).filter(Q(inclusion=ConsensusRule.Inclusion.ALL_SAVED) | Exists(submitted))
    return cast("QuerySet[T]", kept)
