"""Stored aggregation results of the caller's studies, read-only: items, divides between blocs, verdicts.

Suppressed bloc rows (fewer experts than the study's minimum group size) are listed with every
number empty, so a client can say "fewer than k" without learning anything about the group. Divides
name only blocs with at least k ratings; bloc verdicts exist only for such blocs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from aggregation.models import AreaVerdict, CrossBloc, ItemResult
from aggregation.selectors import shown_runs
from api.access import area_in_scope, coordinated_study_ids, criterion_in_scope, round_in_scope
from api.lists import Pagination, QueryFilters
from elicitation.models import Capability, Round

NUMBERS = (
    "n",
    "n_cannot_judge",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "iqr",
    "cv",
    "pct_low",
    "pct_mid",
    "pct_high",
    "cns",
    "vde_a",
    "bimodality",
    "ipras",
)
VERDICTS = ("rand_class", "ipras_disagreement", "classic_disagreement", "consensus", "consensus_band")


class ItemResultSerializer(serializers.ModelSerializer[ItemResult]):
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    area = serializers.UUIDField(source="area.uuid", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    criterion = serializers.UUIDField(source="criterion.uuid", read_only=True)
    criterion_code = serializers.CharField(source="criterion.code", read_only=True)
    bloc = serializers.CharField(source="group", read_only=True, allow_null=True, help_text="Empty for the panel.")
    n = serializers.IntegerField(read_only=True, allow_null=True)
    n_cannot_judge = serializers.IntegerField(read_only=True, allow_null=True)
    rand_class = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = ItemResult
        fields = ["round", "round_number", "area", "area_code", "criterion", "criterion_code", "bloc", "suppressed"]
        fields += [*NUMBERS, *VERDICTS]

    def to_representation(self, instance: ItemResult) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.suppressed:
            data.update(dict.fromkeys((*NUMBERS, *VERDICTS)))
        return data


def shown_rows(
    view: generics.GenericAPIView[Any], queryset: QuerySet[Any], filters_class: type[QueryFilters]
) -> tuple[QuerySet[Any], dict[str, Any]]:
    """Rows of the shown runs (``aggregation.selectors.shown_runs``) of the caller's studies, and the checked
    query filters; ``round`` is applied here, the other filters by the view."""
    user = view.request.user
    rounds = Round.objects.filter(study__in=coordinated_study_ids(user, needs=Capability.RESULTS))
    queryset = queryset.filter(run_id__in=shown_runs(rounds))
    filters = filters_class(data=view.request.query_params)
    filters.is_valid(raise_exception=True)
    given = dict(filters.validated_data)
    if "round" in given:
        queryset = queryset.filter(round=round_in_scope(user, given["round"], needs=Capability.RESULTS))
    return queryset, given


class AggregateFilters(QueryFilters):
    round = serializers.UUIDField(required=False)
    area = serializers.UUIDField(required=False)
    criterion = serializers.UUIDField(required=False)
    bloc = serializers.CharField(required=False, allow_blank=True, max_length=100)


@extend_schema(
    summary="Stored results per item and group (panel and blocs; suppressed groups have no numbers)",
    parameters=[
        OpenApiParameter("round", OpenApiTypes.UUID, description="Only this round."),
        OpenApiParameter("area", OpenApiTypes.UUID, description="Only this area."),
        OpenApiParameter("criterion", OpenApiTypes.UUID, description="Only this criterion."),
        OpenApiParameter("bloc", OpenApiTypes.STR, description="Only this bloc's rows; empty for the whole panel's."),
    ],
)
class AggregateListView(generics.ListAPIView[ItemResult]):
    serializer_class = ItemResultSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[ItemResult]:
        user = self.request.user
        rows = ItemResult.objects.select_related("round", "area", "criterion")
        queryset, given = shown_rows(self, rows, AggregateFilters)
        if "area" in given:
            queryset = queryset.filter(area=area_in_scope(user, given["area"], needs=Capability.RESULTS))
        if "criterion" in given:
            queryset = queryset.filter(criterion=criterion_in_scope(user, given["criterion"], needs=Capability.RESULTS))
        if "bloc" in given:
            queryset = queryset.filter(group=given["bloc"])
        return queryset.order_by(
            "round__study_id", "round__number", "area__order", "area_id", "criterion__order", "criterion_id", "group"
        )


class DivideSerializer(serializers.ModelSerializer[CrossBloc]):
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    area = serializers.UUIDField(source="area.uuid", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    criterion = serializers.UUIDField(source="criterion.uuid", read_only=True)
    criterion_code = serializers.CharField(source="criterion.code", read_only=True)
    blocs_compared = serializers.ListField(child=serializers.CharField(), read_only=True)
    bloc_ends = serializers.DictField(child=serializers.CharField(), read_only=True)
    group_medians = serializers.DictField(child=serializers.FloatField(), read_only=True)
    pairwise = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = CrossBloc
        fields = [
            "round", "round_number", "area", "area_code", "criterion", "criterion_code", "verdict", "split_reason",
            "panel_consensus", "blocs_compared", "bloc_ends", "group_medians", "max_median_difference",
            "kruskal_h", "kruskal_p", "pairwise", "bloc_a", "bloc_b", "mann_whitney_u", "mann_whitney_p",
            "mann_whitney_p_holm",
        ]  # fmt: skip


class DivideFilters(QueryFilters):
    round = serializers.UUIDField(required=False)
    verdict = serializers.ChoiceField(choices=CrossBloc.Verdict.choices, required=False)


@extend_schema(
    summary="Divides between blocs per item, the largest first (verdict split = split along bloc lines)",
    parameters=[
        OpenApiParameter("round", OpenApiTypes.UUID, description="Only this round."),
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


class AreaVerdictSerializer(serializers.ModelSerializer[AreaVerdict]):
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    area = serializers.UUIDField(source="area.uuid", read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    bloc = serializers.CharField(source="group", read_only=True, help_text="Empty for the panel.")

    class Meta:
        model = AreaVerdict
        fields = [
            "round", "round_number", "area", "area_code", "bloc", "verdict", "min_benefit_median", "max_risk_median",
            "benefits_agreed", "risks_agreed",
        ]  # fmt: skip


class VerdictFilters(QueryFilters):
    round = serializers.UUIDField(required=False)
    bloc = serializers.CharField(required=False, allow_blank=True, max_length=100)


@extend_schema(
    summary="Cooperation verdicts per area, of the whole panel and of each bloc with at least k ratings",
    parameters=[
        OpenApiParameter("round", OpenApiTypes.UUID, description="Only this round."),
        OpenApiParameter("bloc", OpenApiTypes.STR, description="Only this bloc's verdicts; empty for the panel's."),
    ],
)
class AreaVerdictListView(generics.ListAPIView[AreaVerdict]):
    serializer_class = AreaVerdictSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[AreaVerdict]:
        queryset, given = shown_rows(self, AreaVerdict.objects.select_related("round", "area"), VerdictFilters)
        if "bloc" in given:
            queryset = queryset.filter(group=given["bloc"])
        return queryset.order_by("round__study_id", "round__number", "group", "area__order", "area_id")
