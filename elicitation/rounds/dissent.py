"""How many experts recorded dissent on each item of some rounds: the one reader every page and export uses.

Counts only; what a page may show of them is ``analysis.disclosure.dissent_disclosed``'s decision.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet

from elicitation.models import ItemStatement, StatementKind

RatingKey = tuple[int, int, int]  # (round id, area id, criterion id)
QuestionKey = tuple[int, int]  # (round id, question id)


def _dissent(round_ids: Iterable[int]) -> QuerySet[ItemStatement]:
    return ItemStatement.objects.filter(round_id__in=list(round_ids), kind=StatementKind.DISSENT).exclude(text="")


def rating_dissent_counts(round_ids: Iterable[int]) -> dict[RatingKey, int]:
    """Dissenters per rating item of the rounds: one query."""
    rows = (
        _dissent(round_ids)
        .filter(question__isnull=True)
        .values("round_id", "area_id", "criterion_id")
        .annotate(n=Count("expert_id", distinct=True))
        .order_by()
    )
    return {(row["round_id"], row["area_id"], row["criterion_id"]): row["n"] for row in rows}


def question_dissent_counts(round_ids: Iterable[int]) -> dict[QuestionKey, int]:
    """Dissenters per quantity question of the rounds: one query."""
    rows = (
        _dissent(round_ids)
        .filter(question__isnull=False)
        .values("round_id", "question_id")
        .annotate(n=Count("expert_id", distinct=True))
        .order_by()
    )
    return {(row["round_id"], row["question_id"]): row["n"] for row in rows}
