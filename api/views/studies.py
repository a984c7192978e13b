"""Read-only resources of the REST API. Each list and each object is scoped to the studies where the caller's
role may read it (docs/roles.md): analysts read the study, its items, rounds and participation; only
coordinators read the panel (names and addresses)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from api import serializers as out
from api.access import coordinated_study_ids, round_in_scope, study_in_scope
from api.lists import ROUND_PARAMETER, STUDY_PARAMETER, UUID_PATTERN, ListFilters, Pagination
from core.access import studies_for_member
from elicitation.models import Area, Capability, Criterion, Expert, Participation, Round, RoundItem


class ScopedViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """Objects of the caller's studies only; ``?study=`` and ``?round=`` of another study answer 404."""

    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN
    pagination_class = Pagination
    study_path: ClassVar[str] = "study"
    round_path: ClassVar[str | None] = None
    needs: ClassVar[str] = Capability.RESULTS

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        user = self.request.user
        queryset = self.base_queryset().filter(
            **{f"{self.study_path}__in": coordinated_study_ids(user, needs=self.needs)}
        )
        if self.action != "list":
            return queryset
        filters = ListFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "study" in filters.validated_data:
            study = study_in_scope(user, filters.validated_data["study"], needs=self.needs)
            queryset = queryset.filter(**{self.study_path: study})
        if "round" in filters.validated_data and self.round_path is not None:
            round_ = round_in_scope(user, filters.validated_data["round"], needs=self.needs)
            queryset = queryset.filter(**{self.round_path: round_})
        return queryset


@extend_schema_view(
    list=extend_schema(summary="Studies you coordinate or analyse"), retrieve=extend_schema(summary="A study")
)
class StudyViewSet(ScopedViewSet):
    serializer_class = out.StudySerializer
    study_path = "pk"

    def base_queryset(self) -> QuerySet[Any]:
        return studies_for_member(self.request.user).prefetch_related("consensus_rules")


@extend_schema_view(list=extend_schema(parameters=[STUDY_PARAMETER]))
class AreaViewSet(ScopedViewSet):
    serializer_class = out.AreaSerializer

    def base_queryset(self) -> QuerySet[Any]:
        return Area.objects.select_related("study").order_by("study_id", "order", "id")


@extend_schema_view(list=extend_schema(parameters=[STUDY_PARAMETER]))
class CriterionViewSet(ScopedViewSet):
    serializer_class = out.CriterionSerializer

    def base_queryset(self) -> QuerySet[Any]:
        return Criterion.objects.select_related("study").order_by("study_id", "order", "id")


@extend_schema_view(
    list=extend_schema(summary="Panel members", parameters=[STUDY_PARAMETER]),
    retrieve=extend_schema(summary="A panel member"),
)
class ExpertViewSet(ScopedViewSet):
    serializer_class = out.ExpertSerializer
    needs = Capability.MANAGE  # names and addresses: coordinators only

    def base_queryset(self) -> QuerySet[Any]:
        return Expert.objects.select_related("study").order_by("study_id", "number")


@extend_schema_view(list=extend_schema(parameters=[STUDY_PARAMETER]))
class RoundViewSet(ScopedViewSet):
    serializer_class = out.RoundSerializer

    def base_queryset(self) -> QuerySet[Any]:
        items = RoundItem.objects.select_related("area", "criterion")
        # Participation as counts: the one view of it a strict study gives (participation/ rows carry no steps)
        steps = {
            name: Count("participations", filter=Q(**{f"participations__{name}_at__isnull": False}), distinct=True)
            for name in ("invited", "opened", "started", "submitted")
        }
        return (
            Round.objects.select_related("study", "consensus_rule")
            .prefetch_related(Prefetch("items", queryset=items))
            .annotate(participants=Count("participations", distinct=True), **steps)
            .order_by("study_id", "number")
        )


@extend_schema_view(
    list=extend_schema(summary="Participation per expert and round", parameters=[STUDY_PARAMETER, ROUND_PARAMETER])
)
class ParticipationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Participation]):
    serializer_class = out.ParticipationSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Participation]:
        queryset = Participation.objects.select_related("round__study", "expert").filter(
            round__study__in=coordinated_study_ids(self.request.user, needs=Capability.RESULTS)
        )
        filters = ListFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "study" in filters.validated_data:
            queryset = queryset.filter(
                round__study=study_in_scope(
                    self.request.user, filters.validated_data["study"], needs=Capability.RESULTS
                )
            )
        if "round" in filters.validated_data:
            queryset = queryset.filter(
                round=round_in_scope(self.request.user, filters.validated_data["round"], needs=Capability.RESULTS)
            )
        return queryset.order_by("round__study_id", "round__number", "expert__number")
