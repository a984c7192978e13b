"""Which ratings the results count: the one place that reads the round's inclusion rule.

Aggregation, the expert's feedback and the exports all read ratings through here, so "n experts rated it"
means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet

from elicitation.models import ConsensusRule, Participation, Rating


def counted_ratings(round_id: int) -> QuerySet[Rating]:
    """The ratings results count (one lazy query, no extra lookups): those of experts who submitted the
    round, or every saved rating when the round's frozen consensus rule counts all saved answers.

    Results, feedback and the exports all read through here, so "n experts rated it" and the participation
    page's "submitted" agree. A round without a rule counts submitted answers, the default of every rule.
    """
    return counted_ratings_of_rounds([round_id])


def counted_ratings_of_rounds(round_ids: Sequence[int]) -> QuerySet[Rating]:
    """:func:`counted_ratings` of several rounds at once, each under its own rule (one lazy query)."""
    submitted = Participation.objects.filter(
        round_id=OuterRef("round_id"), expert_id=OuterRef("expert_id"), submitted_at__isnull=False
    )
    every_saved_answer = Q(round__consensus_rule__inclusion=ConsensusRule.Inclusion.ALL_SAVED)
    return Rating.objects.filter(round_id__in=list(round_ids)).filter(every_saved_answer | Exists(submitted))
