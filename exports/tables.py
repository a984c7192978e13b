"""The export tables: their columns (with codebook descriptions) and their rows, read lazily.

Rows are tuples in column order, read with server-side cursors in chunks, so a table of a
million ratings streams in constant memory. No table has a column for an email or a name.

Strict anonymity (``Study.Anonymity.STRICT``) drops everything that joins a person to
individual answers: from ratings the pseudonym, bloc, sector, confidence and day columns;
from rationales the pseudonym, bloc, sector, confidence and day columns. Rows are then
ordered by item and value (ratings) or by item and text (rationales), never by expert, so
the row order cannot join them either. Panel composition and aggregates are counts and
summaries and are the same in both modes, except that in strict mode the ratings, rationales and
aggregates tables cover closed rounds only (``Scope.answer_round_ids``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db.models import BooleanField, CharField, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Cast, TruncDate

from elicitation.models import AreaResponse, Expert, Participation, Rating, Round, Study
from exports import sqlcsv
from exports.aggregates import AGGREGATE_COLUMNS, aggregate_rows, aggregates_queryset, rating_ranges
from exports.agreement import (
    AGREEMENT_COLUMNS,
    STABILITY_COLUMNS,
    agreement_count,
    agreement_rows,
    previous_rounds,
    stability_count,
    stability_rows,
)
from exports.audit import audit_table
from exports.cells import neutralise
from exports.divides import DIVIDE_COLUMNS, VERDICT_COLUMNS, divide_count, divide_rows, verdict_count, verdict_rows
from exports.expressions import neutralised, pseudonym
from exports.panel import panel_rows
from exports.participation import participation_experts_table, participation_table
from exports.plan_tables import deviations_table, plan_versions_table
from exports.quantity_tables import (
    quantity_answers_table,
    quantity_performance_table,
    quantity_pooled_table,
    quantity_questions_table,
)
from exports.results import RESULT_COLUMNS, result_rows, results_queryset
from exports.statement_tables import change_reasons_table, dissent_table
from exports.statistics import ColumnSpec
from exports.streaming import read_snapshot
from exports.study_tables import (
    areas_table,
    criteria_table,
    round_items_table,
    suggestions_table,
    wording_changes_table,
)
from exports.table_types import Column, Scope, Table, stream_rows

LANGUAGE_CODES = "a language code of the study, e.g. en, zh-hans"
CANNOT_JUDGE_CODES = 'true = the expert chose "cannot judge" (value is empty); false = a rating on the scale.'


TABLE_NAMES = [
    "ratings",
    "rationales",
    "rationales_moderated",
    "panel",
    "aggregates",
    "results",
    "divides",
    "verdicts",
    "agreement",
    "stability",
    "areas",
    "criteria",
    "round_items",
    "wording_changes",
    "suggestions",
    "participation",
    "participation_experts",
    "audit",
    "plan_versions",
    "deviations",
    "dissent",
    "change_reasons",
    "quantity_questions",
    "quantity_answers",
    "quantity_pooled",
    "quantity_performance",
]

STUDY = Column("study", "string", "The study's identifier (UUID).")
ROUND = Column("round", "int", "Round number, 1 for the first round.")
AREA = Column("area", "string", "Area code (see the study configuration for titles).")
CRITERION = Column("criterion", "string", "Criterion code (see the study configuration for titles and scales).")
PSEUDONYM = Column("pseudonym", "string", "The expert's stable pseudonym in this study (E-01, E-02, …).")
BLOC = Column("bloc", "string", "The expert's bloc or country group.", "One of the study's blocs.")
SECTOR = Column("sector", "string", "The expert's sector.", "One of the study's sectors; empty if not given.")
CONFIDENCE = Column(
    "confidence", "int", "The expert's confidence in their answers on this area.", "1 (low) to 5 (high)"
)
DAY = Column("day", "date", "The day (UTC) the answer was last changed; times are coarsened to the day.")


def scope_for(study: Study, round_ids: Sequence[int] | None = None) -> Scope:
    """The study's rounds (all of them, or those of ``round_ids`` that belong to it), by number."""
    rounds = Round.objects.filter(study=study)
    if round_ids is not None:
        rounds = rounds.filter(pk__in=list(round_ids))
    rows = list(rounds.order_by("number").values_list("pk", "status"))
    return Scope(
        study=study,
        round_ids=tuple(pk for pk, _ in rows),
        open_round_ids=tuple(pk for pk, status in rows if status == Round.Status.OPEN),
    )


def build_table(name: str, scope: Scope) -> Table:
    builders: dict[str, Callable[[Scope], Table]] = {
        "ratings": ratings_table,
        "rationales": lambda s: rationales_table(s, include_hidden=True),
        "rationales_moderated": lambda s: rationales_table(s, include_hidden=False),
        "panel": panel_table,
        "aggregates": aggregates_table,
        "results": results_table,
        "areas": areas_table,
        "criteria": criteria_table,
        "round_items": round_items_table,
        "wording_changes": wording_changes_table,
        "suggestions": suggestions_table,
        "participation": participation_table,
        "participation_experts": participation_experts_table,
        "audit": audit_table,
        "divides": divides_table,
        "verdicts": verdicts_table,
        "agreement": agreement_table,
        "stability": stability_table,
        "plan_versions": plan_versions_table,
        "deviations": deviations_table,
        "dissent": dissent_table,
        "change_reasons": change_reasons_table,
        "quantity_questions": quantity_questions_table,
        "quantity_answers": quantity_answers_table,
        "quantity_pooled": quantity_pooled_table,
        "quantity_performance": quantity_performance_table,
    }
    return builders[name](scope)


def _item_columns(scope: Scope) -> dict[str, Any]:
    """Annotations shared by ratings and rationales: the study, round number and area code."""
    return {
        "x_study": Value(neutralise(str(scope.study.uuid)), output_field=CharField()),
        "x_round": F("round__number"),
        "x_area": neutralised("area__code"),
    }


def _person_columns() -> dict[str, Any]:
    return {
        "x_pseudonym": pseudonym("expert__number"),
        "x_bloc": neutralised("expert__bloc"),
        "x_sector": neutralised("expert__sector"),
    }


def _day() -> Cast:
    """The UTC day as ISO text: no per-row conversion to a date object and back for CSV and JSON."""
    return Cast(TruncDate("updated_at", tzinfo=dt.UTC), output_field=CharField())


def ratings_table(scope: Scope) -> Table:
    value = Column(
        "value", "int", 'The rating on the criterion\'s scale; empty for "cannot judge".', "scale_min to scale_max"
    )
    cannot = Column("cannot_judge", "bool", 'Whether the expert answered "cannot judge".', CANNOT_JUDGE_CODES)
    submitted = Column(
        "submitted",
        "bool",
        "Whether the expert submitted the round. Results count only submitted answers unless the round's "
        "consensus rule counts all saved answers (see study.json or the rule page).",
        "True = submitted; False = saved but not submitted",
    )
    queryset = Rating.objects.filter(round_id__in=scope.answer_round_ids)
    was_submitted = Participation.objects.filter(
        round_id=OuterRef("round_id"), expert_id=OuterRef("expert_id"), submitted_at__isnull=False
    )
    annotated = queryset.annotate(
        **_item_columns(scope), x_criterion=neutralised("criterion__code"), x_submitted=Exists(was_submitted)
    )
    rows: QuerySet[Any, tuple[Any, ...]]
    if scope.strict:
        columns = [STUDY, ROUND, AREA, CRITERION, value, cannot, submitted]
        rows = annotated.order_by("round_id", "area_id", "criterion_id", F("value").asc(nulls_last=True)).values_list(
            "x_study", "x_round", "x_area", "x_criterion", "value", "cannot_judge", "x_submitted"
        )
    else:
        columns = [STUDY, ROUND, AREA, CRITERION, PSEUDONYM, BLOC, SECTOR, value, cannot, submitted, CONFIDENCE, DAY]
        # A join, not a subquery per row: the expert's response on this round and area, if any.
        response = FilteredRelation(
            "expert__area_responses",
            condition=Q(expert__area_responses__round=F("round"), expert__area_responses__area=F("area")),
        )
        rows = (
            annotated.annotate(response=response)
            .annotate(**_person_columns(), x_confidence=F("response__confidence"), x_day=_day())
            .order_by("round_id", "expert_id", "area_id", "criterion_id")
            .values_list(
                "x_study",
                "x_round",
                "x_area",
                "x_criterion",
                "x_pseudonym",
                "x_bloc",
                "x_sector",
                "value",
                "cannot_judge",
                "x_submitted",
                "x_confidence",
                "x_day",
            )
        )

    def csv_lines() -> Iterator[list[str]]:
        return sqlcsv.ratings_lines(
            study_uuid=str(scope.study.uuid), round_ids=scope.answer_round_ids, strict=scope.strict
        )

    return Table(
        name="ratings",
        title="Ratings",
        description="Every rating in tidy long form: one row per round, area, criterion and expert.",
        columns=columns,
        rows=lambda: stream_rows(rows),
        count=queryset.count,
        csv_lines=csv_lines if sqlcsv.available() else None,
    )


def rationales_table(scope: Scope, *, include_hidden: bool) -> Table:
    text = Column("rationale", "string", "The expert's reasons, as written (formula-like starts neutralised).")
    language = Column(
        "rationale_language", "string", "The language the rationale was written in (the expert's).", LANGUAGE_CODES
    )
    translation = Column(
        "translation",
        "string",
        "The coordinators' translation of the rationale, empty when there is none (formula-like starts neutralised).",
    )
    translation_language = Column(
        "translation_language", "string", "The language of the translation; empty when there is none.", LANGUAGE_CODES
    )
    hidden = Column(
        "hidden", "bool", "Whether a coordinator hid the rationale from feedback.", "True = hidden; False = shown"
    )
    queryset = AreaResponse.objects.filter(round_id__in=scope.answer_round_ids).exclude(rationale="")
    if not include_hidden:
        queryset = queryset.filter(hidden_at__isnull=True)
    annotated = queryset.annotate(
        **_item_columns(scope),
        x_rationale=neutralised("rationale"),
        x_translation=neutralised("translation"),
        x_hidden=Case(
            When(hidden_at__isnull=True, then=Value(False)), default=Value(True), output_field=BooleanField()
        ),
    )
    texts = ["x_rationale", "rationale_language", "x_translation", "translation_language"]
    text_columns = [text, language, translation, translation_language]
    tail = [*texts, "x_hidden"] if include_hidden else texts
    tail_columns = [*text_columns, hidden] if include_hidden else text_columns
    rows: QuerySet[Any, tuple[Any, ...]]
    if scope.strict:
        columns = [STUDY, ROUND, AREA, *tail_columns]
        rows = annotated.order_by("round_id", "area_id", "rationale", "id").values_list(
            "x_study", "x_round", "x_area", *tail
        )
    else:
        columns = [STUDY, ROUND, AREA, PSEUDONYM, BLOC, SECTOR, CONFIDENCE, *tail_columns, DAY]
        rows = (
            annotated.annotate(**_person_columns(), x_day=_day())
            .order_by("round_id", "area_id", "expert_id")
            .values_list(
                "x_study", "x_round", "x_area", "x_pseudonym", "x_bloc", "x_sector", "confidence", *tail, "x_day"
            )
        )
    if include_hidden:
        title, description = "Rationales (all)", "Every rationale, hidden ones included and flagged; for coordinators."
    else:
        title, description = "Rationales (moderated)", "The rationales shown as feedback; hidden ones are left out."
    return Table(
        name="rationales" if include_hidden else "rationales_moderated",
        title=title,
        description=description,
        columns=columns,
        rows=lambda: stream_rows(rows),
        count=queryset.count,
    )


def panel_table(scope: Scope) -> Table:
    columns = [
        Column("grouping", "string", "What the row counts.", "total; bloc; sector; bloc_sector (bloc by sector)"),
        Column("bloc", "string", "The bloc counted, or empty when the row is not by bloc."),
        Column("sector", "string", "The sector counted, or empty when the row is not by sector."),
        Column("experts", "int", "Number of active experts; empty when suppressed.", "a count, or empty (suppressed)"),
        Column(
            "suppressed",
            "bool",
            "Whether the count is withheld: fewer than the study's minimum group size (k), "
            "or a count that could be derived from the others.",
            "true = withheld; false = shown",
        ),
    ]
    study = scope.study
    active = Expert.objects.filter(study=study, is_active=True, erased_at__isnull=True)

    def rows() -> Iterator[tuple[Any, ...]]:
        pairs = active.values_list("bloc", "sector")
        return panel_rows(pairs, k=study.min_group_size, blocs=study.blocs, sectors=study.sectors)

    return Table(
        name="panel",
        title="Panel composition",
        description=f"Counts of active experts by bloc and sector; counts below k = {scope.study.min_group_size} "
        "are suppressed, with complementary suppression so they cannot be derived.",
        columns=columns,
        rows=rows,
        count=lambda: sum(1 for _ in rows()),
    )


def aggregates_table(scope: Scope) -> Table:
    columns = [Column(*spec) for spec in AGGREGATE_COLUMNS]
    queryset = aggregates_queryset(scope.answer_round_ids)

    def rows() -> Iterator[tuple[Any, ...]]:
        return aggregate_rows(stream_rows(queryset), rating_ranges(scope.answer_round_ids))

    return Table(
        name="aggregates",
        title="Aggregates",
        description="The group response of the whole panel per round and item, as each round's latest completed "
        "aggregation run stored it (every column of the round summary and the consensus verdict), with the lowest "
        "and highest rating. Rounds without a completed run have no rows.",
        columns=columns,
        rows=rows,
        count=queryset.count,
    )


def results_table(scope: Scope) -> Table:
    columns = [Column(*spec) for spec in RESULT_COLUMNS]
    queryset = results_queryset(scope.round_ids)

    def rows() -> Iterator[tuple[Any, ...]]:
        return result_rows(stream_rows(queryset))

    return Table(
        name="results",
        title="Results",
        description="The stored aggregation results of each round's latest completed run: one row per round, item "
        "and group (the whole panel and each bloc), every statistic, and the run's recipe. Rounds without a "
        "completed run have no rows; groups smaller than k are suppressed.",
        columns=columns,
        rows=rows,
        count=queryset.count,
    )


def _stored_table(
    name: str,
    title: str,
    description: str,
    columns: list[ColumnSpec],
    rows: Callable[[], Iterator[tuple[Any, ...]]],
    count: Callable[[], int],
) -> Table:
    """A table of stored result rows, read inside one snapshot when it is read (``exports.streaming``)."""

    def in_snapshot() -> Iterator[tuple[Any, ...]]:
        with read_snapshot():
            yield from rows()

    columns_of = [Column(*spec) for spec in columns]
    return Table(name=name, title=title, description=description, columns=columns_of, rows=in_snapshot, count=count)


def divides_table(scope: Scope) -> Table:
    return _stored_table(
        "divides",
        "Divides between blocs",
        "How each item divides the blocs with at least k ratings, from each round's latest completed "
        "run, the largest divide first: bloc medians and ends, Kruskal-Wallis, Holm-adjusted pairwise "
        "Mann-Whitney, and whether the item is split along bloc lines.",
        DIVIDE_COLUMNS,
        lambda: divide_rows(scope.round_ids),
        lambda: divide_count(scope.round_ids),
    )


def verdicts_table(scope: Scope) -> Table:
    return _stored_table(
        "verdicts",
        "Cooperation verdicts",
        "Each area's cooperation verdict from each round's latest completed run, for the whole panel "
        "and for each bloc with at least k ratings behind it.",
        VERDICT_COLUMNS,
        lambda: verdict_rows(scope.round_ids),
        lambda: verdict_count(scope.round_ids),
    )


def agreement_table(scope: Scope) -> Table:
    return _stored_table(
        "agreement",
        "Agreement per criterion",
        "Kendall's W of the experts' rankings of the areas and Krippendorff's alpha, per round and "
        "criterion, from each round's latest completed run; empty for a criterion fewer than k experts rated.",
        AGREEMENT_COLUMNS,
        lambda: agreement_rows(scope.round_ids),
        lambda: agreement_count(scope.round_ids),
    )


def stability_table(scope: Scope) -> Table:
    def previous() -> dict[int, int]:  # read when the table is read, not when it is described
        return previous_rounds(list(Round.objects.filter(study=scope.study).values_list("number", flat=True)))

    return _stored_table(
        "stability",
        "Stability between rounds",
        "How each item's ratings moved since the round before, over the experts who rated it in both, "
        "for the whole panel and each bloc, from each round's latest completed run; suppressed groups are empty.",
        STABILITY_COLUMNS,
        lambda: stability_rows(scope.round_ids, previous()),
        lambda: stability_count(scope.round_ids, previous()),
    )
