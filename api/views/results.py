"""Stored aggregation results of the caller's studies, read-only: items, divides between blocs, verdicts.

Suppressed bloc rows (fewer experts than the study's minimum group size) are listed with every
number empty, so a client can say "fewer than k" without learning anything about the group. Divides
name only blocs with at least k ratings; bloc verdicts exist only for such blocs.

Every row names the run it comes from (``run``, its ``snapshot_revision`` and recipe: rule, analysis plan,
quantile method, code version) and whether it is ``final`` (``state``: ``final`` once the round is closed and
its last run is done; ``updating`` while a newer run is queued or running; ``provisional`` while the round is
open). The column names are the export tables' (docs/exports.md); older names stay as deprecated aliases.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers

from aggregation.models import AggregationRun, AreaVerdict, CrossBloc, ItemResult
from aggregation.selectors import shown_runs
from api.access import area_in_scope, coordinated_study_ids, criterion_in_scope, round_in_scope, study_in_scope
from api.lists import Pagination, QueryFilters
from api.schema import deprecated
from elicitation.models import Capability, Round
from exports.results import RESULT_FIELDS

# The statistics of the ``results`` table, in its order: emptied on a suppressed row.
STATISTICS = RESULT_FIELDS[RESULT_FIELDS.index("n") : RESULT_FIELDS.index("rule_version")]
HIDDEN = tuple(name for name in STATISTICS if name != "suppressed")
STATES = {
    "final": "The round is closed and its last aggregation run is done: these numbers no longer change.",
    "updating": "A newer aggregation run is queued or running: ask again shortly.",
    "provisional": "The round is open: the results follow the answers saved so far (live feedback).",
}


class RunColumns(serializers.Serializer[Any]):
    """Which run a row comes from, its recipe, and whether the row is final."""

    run = serializers.UUIDField(source="run.uuid", read_only=True, allow_null=True, help_text="The run's id.")
    snapshot_revision = serializers.IntegerField(
        source="run.snapshot_revision", read_only=True, allow_null=True, help_text="The newest rating revision read."
    )
    rule_version = serializers.IntegerField(source="run.rule_version", read_only=True, allow_null=True)
    plan_version = serializers.IntegerField(source="run.plan_version", read_only=True, allow_null=True)
    plan_sha256 = serializers.CharField(source="run.plan_sha256", read_only=True)
    quantile_method = serializers.CharField(source="run.quantile_method", read_only=True)
    code_version = serializers.CharField(source="run.code_version", read_only=True)
    finished_at = serializers.DateTimeField(source="run.finished_at", read_only=True, allow_null=True)
    state = serializers.SerializerMethodField(help_text=" ".join(f"`{key}`: {text}" for key, text in STATES.items()))
    final = serializers.SerializerMethodField(help_text="True when `state` is `final`.")

    @extend_schema_field(serializers.ChoiceField(choices=list(STATES)))
    def get_state(self, row: Any) -> str:
        if row.newer_run_pending:
            return "updating"
        return "final" if row.round.status == Round.Status.CLOSED else "provisional"

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_final(self, row: Any) -> bool:
        return self.get_state(row) == "final"


RUN_FIELDS = [
    "run",
    "snapshot_revision",
    "rule_version",
    "plan_version",
    "plan_sha256",
    "quantile_method",
    "code_version",
    "finished_at",
    "state",
    "final",
]
IDENTITY = ["study", "round", "round_number", "area", "area_code", "criterion", "criterion_code"]


class Identity(serializers.Serializer[Any]):
    study = serializers.UUIDField(source="round.study.uuid", read_only=True)
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    area = serializers.UUIDField(source="area.uuid", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    criterion = serializers.UUIDField(source="criterion.uuid", read_only=True)
    criterion_code = serializers.CharField(source="criterion.code", read_only=True)


@deprecated("bloc")
class ItemResultSerializer(RunColumns, Identity, serializers.ModelSerializer[ItemResult]):
    group = serializers.CharField(read_only=True, help_text="Empty for the whole panel, otherwise a bloc.")
    bloc = serializers.CharField(source="group", read_only=True, help_text="Deprecated alias of `group`.")
    n = serializers.IntegerField(read_only=True, allow_null=True)
    n_cannot_judge = serializers.IntegerField(read_only=True, allow_null=True)
    rand_class = serializers.CharField(read_only=True, allow_null=True)
    stability_pairs = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ItemResult
        fields = [*IDENTITY, "group", "bloc", *STATISTICS, *RUN_FIELDS]

    def to_representation(self, instance: ItemResult) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.suppressed:
            data.update(dict.fromkeys(HIDDEN))
        return data


def with_run(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The run of each row, and whether a newer run of its round is queued or running (one query in all)."""
    pending = AggregationRun.objects.filter(
        round_id=OuterRef("round_id"),
        status__in=[AggregationRun.Status.QUEUED, AggregationRun.Status.RUNNING],
        requested_at__gte=OuterRef("run__requested_at"),
    ).exclude(pk=OuterRef("run_id"))
    return queryset.select_related("run", "round__study").annotate(newer_run_pending=Exists(pending))


class ResultFilters(QueryFilters):
    study = serializers.UUIDField(required=False)
    rounds = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2_147_483_647), required=False)
    round = serializers.UUIDField(required=False)


STUDY = OpenApiParameter("study", OpenApiTypes.UUID, description="Only this study.")
ROUNDS = OpenApiParameter(
    "rounds", OpenApiTypes.INT, many=True, description="Only these round numbers (repeat: rounds=1&rounds=2)."
)
ROUND = OpenApiParameter(
    "round", OpenApiTypes.UUID, deprecated=True, description="Only this round (by UUID). Deprecated: use `rounds`."
)


def shown_rows(
    view: generics.GenericAPIView[Any], queryset: QuerySet[Any], filters_class: type[QueryFilters]
) -> tuple[QuerySet[Any], dict[str, Any]]:
    """Rows of the shown runs (``aggregation.selectors.shown_runs``) of the caller's studies, and the checked
    query filters; ``study``, ``rounds`` and ``round`` are applied here, the other filters by the view."""
    user = view.request.user
    rounds = Round.objects.filter(study__in=coordinated_study_ids(user, needs=Capability.RESULTS))
    queryset = with_run(queryset.filter(run_id__in=shown_runs(rounds)))
    filters = filters_class(data=view.request.query_params)
    filters.is_valid(raise_exception=True)
    given = dict(filters.validated_data)
    if "study" in given:
        queryset = queryset.filter(round__study=study_in_scope(user, given["study"]))
    if given.get("rounds"):
        queryset = queryset.filter(round__number__in=given["rounds"])
    if "round" in given:
        queryset = queryset.filter(round=round_in_scope(user, given["round"], needs=Capability.RESULTS))
    return queryset, given


def _group(given: dict[str, Any]) -> str | None:
    """``group`` (the tables' name), or its deprecated alias ``bloc``; None when neither is given."""
    chosen = {given[name] for name in ("group", "bloc") if name in given}
    if len(chosen) > 1:
        raise serializers.ValidationError({"bloc": [_("Give group only (bloc is its old name).")]})
    return chosen.pop() if chosen else None


def _named(queryset: QuerySet[Any], user: Any, field: str, value: str) -> QuerySet[Any]:
    """``?area=`` / ``?criterion=``: a code (the tables' name for it), or a UUID (another study's is a 404)."""
    try:
        as_uuid = uuid.UUID(value)
    except ValueError:
        return queryset.filter(**{f"{field}__code__iexact": value})
    in_scope = area_in_scope if field == "area" else criterion_in_scope
    return queryset.filter(**{field: in_scope(user, as_uuid, needs=Capability.RESULTS)})


class AggregateFilters(ResultFilters):
    area = serializers.CharField(required=False, max_length=100)
    criterion = serializers.CharField(required=False, max_length=100)
    group = serializers.CharField(required=False, allow_blank=True, max_length=100)
    bloc = serializers.CharField(required=False, allow_blank=True, max_length=100)


GROUP = OpenApiParameter("group", OpenApiTypes.STR, description="Only this bloc's rows; empty for the whole panel's.")
BLOC = OpenApiParameter("bloc", OpenApiTypes.STR, deprecated=True, description="Deprecated: use `group`.")


@extend_schema(
    summary="Stored results per item and group: the `results` table's columns, with the run and its state",
    parameters=[
        STUDY,
        ROUNDS,
        ROUND,
        OpenApiParameter("area", OpenApiTypes.STR, description="Only this area: its code (or UUID)."),
        OpenApiParameter("criterion", OpenApiTypes.STR, description="Only this criterion: its code (or UUID)."),
        GROUP,
        BLOC,
    ],
)
class AggregateListView(generics.ListAPIView[ItemResult]):
    serializer_class = ItemResultSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[ItemResult]:
        user = self.request.user
        rows = ItemResult.objects.select_related("round", "area", "criterion")
        queryset, given = shown_rows(self, rows, AggregateFilters)
        for field in ("area", "criterion"):
            if field in given:
                queryset = _named(queryset, user, field, given[field])
        group = _group(given)
        if group is not None:
            queryset = queryset.filter(group=group)
        return queryset.order_by(
            "round__study_id", "round__number", "area__order", "area_id", "criterion__order", "criterion_id", "group"
        )


@deprecated("group_medians")
class DivideSerializer(RunColumns, Identity, serializers.ModelSerializer[CrossBloc]):
    blocs_compared = serializers.ListField(child=serializers.CharField(), read_only=True)
    bloc_ends = serializers.DictField(child=serializers.CharField(), read_only=True)
    bloc_medians = serializers.DictField(source="group_medians", child=serializers.FloatField(), read_only=True)
    group_medians = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="Deprecated alias of `bloc_medians`."
    )
    pairwise = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = CrossBloc
        fields = [
            *IDENTITY, "verdict", "split_reason", "panel_consensus", "blocs_compared", "bloc_ends", "bloc_medians",
            "group_medians", "max_median_difference", "kruskal_h", "kruskal_p", "pairwise", "bloc_a", "bloc_b",
            "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm", *RUN_FIELDS,
        ]  # fmt: skip


class DivideFilters(ResultFilters):
    verdict = serializers.ChoiceField(choices=CrossBloc.Verdict.choices, required=False)


@extend_schema(
    summary="Divides between blocs per item, the largest first (verdict split = split along bloc lines)",
    parameters=[
        STUDY,
        ROUNDS,
        ROUND,
        OpenApiParameter("verdict", OpenApiTypes.STR, description="Only this verdict, e.g. split."),
    ],
)
class DivideListView(generics.ListAPIView[CrossBloc]):
    serializer_class = DivideSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[CrossBloc]:
        rows = CrossBloc.objects.select_related("round", "area", "criterion")
        queryset, given = shown_rows(self, rows, DivideFilters)
        if "verdict" in given:
            queryset = queryset.filter(verdict=given["verdict"])
        return queryset.order_by(
            "round__study_id",
            "round__number",
            F("max_median_difference").desc(nulls_last=True),
            F("kruskal_p").asc(nulls_last=True),
            "area__order",
            "area_id",
            "criterion__order",
            "criterion_id",
        )


@deprecated("bloc")
class AreaVerdictSerializer(RunColumns, serializers.ModelSerializer[AreaVerdict]):
    study = serializers.UUIDField(source="round.study.uuid", read_only=True)
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    area = serializers.UUIDField(source="area.uuid", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    group = serializers.CharField(read_only=True, help_text="Empty for the whole panel, otherwise a bloc.")
    bloc = serializers.CharField(source="group", read_only=True, help_text="Deprecated alias of `group`.")

    class Meta:
        model = AreaVerdict
        fields = [
            "study", "round", "round_number", "area", "area_code", "group", "bloc", "verdict", "min_benefit_median",
            "max_risk_median", "benefits_agreed", "risks_agreed", *RUN_FIELDS,
        ]  # fmt: skip


class VerdictFilters(ResultFilters):
    group = serializers.CharField(required=False, allow_blank=True, max_length=100)
    bloc = serializers.CharField(required=False, allow_blank=True, max_length=100)


@extend_schema(
    summary="Cooperation verdicts per area, of the whole panel and of each bloc with at least k ratings",
    parameters=[STUDY, ROUNDS, ROUND, GROUP, BLOC],
)
class AreaVerdictListView(generics.ListAPIView[AreaVerdict]):
    serializer_class = AreaVerdictSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[AreaVerdict]:
        queryset, given = shown_rows(self, AreaVerdict.objects.select_related("round", "area"), VerdictFilters)
        group = _group(given)
        if group is not None:
            queryset = queryset.filter(group=group)
        return queryset.order_by("round__study_id", "round__number", "group", "area__order", "area_id")
