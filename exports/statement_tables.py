"""The statements experts put on the record: dissent on an item, and the reasons for a changed rating.

Pseudonymous like the rationales: an expert appears as their pseudonym, never by name or email. Withdrawn
statements (emptied by the expert) are not on the record and are left out; their history stays in the
database. Strict anonymity drops the pseudonym, bloc and day columns (and, for the reasons, the two ratings,
which would join the expert's answers across rounds), and orders rows by item and text, never by expert.

Small tables (a statement per expert and item at most), each read in one or two queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from elicitation.models import ItemStatement, Rating, StatementKind
from exports.study_tables import _small_table
from exports.table_types import Column, Scope, Table

STUDY = Column("study", "string", "The study's identifier (UUID).")
ROUND = Column("round", "int", "Round number, 1 for the first round.")
ITEM_TYPE = Column(
    "item_type",
    "string",
    "What the statement is on.",
    "rating = an area on a criterion; quantity = a quantity question",
)
AREA = Column("area", "string", "Area code (for a quantity question: the area it is asked in).")
CRITERION = Column("criterion", "string", "Criterion code; empty for a quantity question.")
QUESTION = Column("question", "string", "Quantity question code; empty for a rating item.")
PSEUDONYM = Column("pseudonym", "string", "The expert's stable pseudonym in this study (E-01, E-02, …).")
BLOC = Column("bloc", "string", "The expert's bloc or country group.", "One of the study's blocs.")
LANGUAGE = Column(
    "language", "string", "The language the statement was written in (the expert's).", "a language code of the study"
)
DAY = Column("day", "date", "The day (UTC) the statement was last changed; times are coarsened to the day.")


def _statements(scope: Scope, kind: str) -> Any:
    return (
        ItemStatement.objects.filter(round_id__in=scope.answer_round_ids, kind=kind)
        .exclude(text="")
        .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id", "question_id")
    )


def _day(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).date().isoformat()


def _pseudonym(number: int) -> str:
    return f"E-{number:02d}"


def dissent_table(scope: Scope) -> Table:
    statement = Column("statement", "string", "The expert's statement of principled dissent, as written.")
    study = str(scope.study.uuid)
    if scope.strict:
        columns = [STUDY, ROUND, ITEM_TYPE, AREA, CRITERION, QUESTION, statement, LANGUAGE]
    else:
        columns = [STUDY, ROUND, ITEM_TYPE, AREA, CRITERION, QUESTION, PSEUDONYM, BLOC, statement, LANGUAGE, DAY]

    def rows() -> Iterator[tuple[Any, ...]]:
        found = _statements(scope, StatementKind.DISSENT).values_list(
            "round__number",
            "question_id",
            "area__code",
            "criterion__code",
            "question__area__code",
            "question__code",
            "expert__number",
            "expert__bloc",
            "text",
            "language",
            "updated_at",
        )
        lines = []
        for number, question_id, area, criterion, question_area, question, expert, bloc, text, language, day in found:
            item = ("quantity", question_area, "", question) if question_id else ("rating", area, criterion, "")
            if scope.strict:
                lines.append((study, number, *item, text, language))
            else:
                lines.append((study, number, *item, _pseudonym(expert), bloc, text, language, _day(day)))
        if scope.strict:  # by item and text, never by expert
            lines.sort(key=lambda line: (line[1], line[2], line[3], line[4], line[5], line[6]))
        return iter(lines)

    return _small_table(
        "dissent",
        "Dissent on the record",
        "Every statement of principled dissent an expert recorded on an item (rating item or quantity question), "
        "one row per round, expert and item; withdrawn statements are left out.",
        columns,
        rows,
    )


def change_reasons_table(scope: Scope) -> Table:
    reason = Column("reason", "string", "The expert's reason for changing their rating, as written.")
    previous = Column(
        "previous_value",
        "int",
        "The expert's rating of the item in the round before; empty if none (unit: scale points, scale_min to "
        "scale_max of the criterion).",
    )
    value = Column(
        "value",
        "int",
        'The expert\'s rating in this round; empty for "cannot judge" or none (unit: scale points, scale_min to '
        "scale_max of the criterion).",
    )
    study = str(scope.study.uuid)
    if scope.strict:
        columns = [STUDY, ROUND, AREA, CRITERION, reason, LANGUAGE]
    else:
        columns = [STUDY, ROUND, AREA, CRITERION, PSEUDONYM, BLOC, previous, value, reason, LANGUAGE, DAY]

    def rows() -> Iterator[tuple[Any, ...]]:
        found = list(
            _statements(scope, StatementKind.CHANGE_REASON).values_list(
                "round__study_id",
                "round__number",
                "expert_id",
                "area_id",
                "criterion_id",
                "area__code",
                "criterion__code",
                "expert__number",
                "expert__bloc",
                "text",
                "language",
                "updated_at",
            )
        )
        if scope.strict:
            strict = [(study, r[1], r[5], r[6], r[9], r[10]) for r in found]
            strict.sort(key=lambda line: (line[1], line[2], line[3], line[4]))
            return iter(strict)
        experts = {r[2] for r in found}
        ratings = {
            (number, expert, area, criterion): value
            for number, expert, area, criterion, value in Rating.objects.filter(
                round__study=scope.study, expert_id__in=experts
            ).values_list("round__number", "expert_id", "area_id", "criterion_id", "value")
        }
        lines: list[tuple[Any, ...]] = []
        for row in found:
            _s, number, expert, area, criterion, area_code, criterion_code, expert_number, bloc, text, language, day = (
                row
            )
            previous_value = ratings.get((number - 1, expert, area, criterion))
            value = ratings.get((number, expert, area, criterion))
            person = (_pseudonym(expert_number), bloc)
            lines.append(
                (study, number, area_code, criterion_code, *person, previous_value, value, text, language, _day(day))
            )
        return iter(lines)

    return _small_table(
        "change_reasons",
        "Reasons for changed ratings",
        "The reasons experts gave when their rating of an item moved by more than the study's threshold since "
        "their previous round (asked, optionally, by the form), with both ratings.",
        columns,
        rows,
    )
