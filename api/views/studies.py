"""The study's resources: studies, areas, criteria, panel members, rounds, participation.

Each list and each object is scoped to the studies where the caller's role may read it (docs/roles.md):
analysts read the study, its items, rounds and participation; only coordinators read the panel (names and
addresses). Creating (POST on a list, the study named in the body) and editing (PATCH on an object) need the
coordinator's role and call the same services as the setup pages; the answer is the object as GET gives it,
with its UUID (201 on create).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api import inputs
from api import serializers as out
from api.access import coordinated_study_ids, round_in_scope, study_in_scope
from api.lists import (
    DEPRECATED_ROUND_PARAMETER,
    ROUNDS_PARAMETER,
    STUDY_PARAMETER,
    UUID_PATTERN,
    ListFilters,
    Pagination,
    ParticipationFilters,
)
from api.lookups import items_named
from api.schema import ErrorSerializer
from core.access import studies_for_member
from elicitation.models import Area, Capability, Criterion, Expert, Participation, Round, RoundItem
from elicitation.rounds.services.lifecycle import round_create
from elicitation.setup.services import items as item_services
from elicitation.setup.services.panel import expert_add, expert_update
from elicitation.setup.services.studies import study_create, study_update_settings

CONFLICT = OpenApiResponse(ErrorSerializer, description="Not allowed in the study's or round's present state.")


class ScopedViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """Objects of the caller's studies only; ``?study=`` and ``?round=`` of another study answer 404."""

    http_method_names = ["get", "post", "patch", "head", "options"]

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

    def answer(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        """The object as GET gives it (read again through the scoped queryset, annotations included)."""
        fresh = self.base_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=code)


def given(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    checked = serializer_class(data=request.data)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def acting_user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated let the request in
    return request.user


@extend_schema_view(
    list=extend_schema(summary="Studies you coordinate or analyse"),
    retrieve=extend_schema(summary="A study"),
    create=extend_schema(
        summary="Create a study (blank, or from a template); you coordinate it",
        request=inputs.StudyCreateInput,
        responses={201: out.StudySerializer},
    ),
    partial_update=extend_schema(
        summary="Change a study's settings (only the keys given)",
        request=inputs.StudySettingsInput,
        responses={200: out.StudySerializer},
    ),
)
class StudyViewSet(ScopedViewSet):
    serializer_class = out.StudySerializer
    study_path = "pk"

    def base_queryset(self) -> QuerySet[Any]:
        return studies_for_member(self.request.user).prefetch_related("consensus_rules")

    def create(self, request: Request) -> Response:
        data = given(inputs.StudyCreateInput, request)
        study = study_create(
            user=acting_user(request),
            title=data["title"],
            template_key=data.get("template", ""),
            question=data.get("question", ""),
            introduction=data.get("introduction", ""),
        )
        return self.answer(study, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        data = given(inputs.StudySettingsInput, request)
        reason = data.pop("reason", "")
        study_update_settings(study=study, user=acting_user(request), reason=reason, **data)
        return self.answer(study)


@extend_schema_view(
    list=extend_schema(parameters=[STUDY_PARAMETER]),
    create=extend_schema(
        summary="Add an area to a study", request=inputs.AreaInput, responses={201: out.AreaSerializer}
    ),
    partial_update=extend_schema(
        summary="Edit an area (rewording one experts have seen is recorded)",
        request=inputs.AreaUpdateInput,
        responses={200: out.AreaSerializer, 409: CONFLICT},
    ),
)
class AreaViewSet(ScopedViewSet):
    serializer_class = out.AreaSerializer

    def base_queryset(self) -> QuerySet[Any]:
        return Area.objects.select_related("study").order_by("study_id", "order", "id")

    def create(self, request: Request) -> Response:
        data = given(inputs.AreaInput, request)
        study = study_in_scope(request.user, data.pop("study"))
        area = item_services.area_create(study=study, user=acting_user(request), **data)
        return self.answer(area, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str) -> Response:
        area = self.get_object()
        area = item_services.area_update(area=area, user=acting_user(request), **given(inputs.AreaUpdateInput, request))
        return self.answer(area)


@extend_schema_view(
    list=extend_schema(parameters=[STUDY_PARAMETER]),
    create=extend_schema(
        summary="Add a criterion to a study", request=inputs.CriterionInput, responses={201: out.CriterionSerializer}
    ),
    partial_update=extend_schema(
        summary="Edit a criterion (its code, kind and scale are fixed once it has ratings)",
        request=inputs.CriterionUpdateInput,
        responses={200: out.CriterionSerializer, 409: CONFLICT},
    ),
)
class CriterionViewSet(ScopedViewSet):
    serializer_class = out.CriterionSerializer

    def base_queryset(self) -> QuerySet[Any]:
        return Criterion.objects.select_related("study").order_by("study_id", "order", "id")

    def create(self, request: Request) -> Response:
        data = given(inputs.CriterionInput, request)
        study = study_in_scope(request.user, data.pop("study"))
        criterion = item_services.criterion_create(study=study, user=acting_user(request), **data)
        return self.answer(criterion, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str) -> Response:
        criterion = self.get_object()
        changes = given(inputs.CriterionUpdateInput, request)
        criterion = item_services.criterion_update(criterion=criterion, user=acting_user(request), **changes)
        return self.answer(criterion)


@extend_schema_view(
    list=extend_schema(summary="Panel members", parameters=[STUDY_PARAMETER]),
    retrieve=extend_schema(summary="A panel member"),
    create=extend_schema(
        summary="Add an expert to a study's panel", request=inputs.ExpertInput, responses={201: out.ExpertSerializer}
    ),
    partial_update=extend_schema(
        summary="Edit a panel member", request=inputs.ExpertUpdateInput, responses={200: out.ExpertSerializer}
    ),
)
class ExpertViewSet(ScopedViewSet):
    serializer_class = out.ExpertSerializer
    needs = Capability.MANAGE  # names and addresses: coordinators only

    def base_queryset(self) -> QuerySet[Any]:
        return Expert.objects.select_related("study").order_by("study_id", "number")

    def create(self, request: Request) -> Response:
        data = given(inputs.ExpertInput, request)
        study = study_in_scope(request.user, data.pop("study"))
        expert = expert_add(study=study, user=acting_user(request), **data)
        return self.answer(expert, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str) -> Response:
        expert = self.get_object()
        expert = expert_update(expert=expert, user=acting_user(request), **given(inputs.ExpertUpdateInput, request))
        return self.answer(expert)


@extend_schema_view(
    list=extend_schema(parameters=[STUDY_PARAMETER]),
    create=extend_schema(
        summary="Create the study's next round as a draft (default: every active item)",
        request=inputs.RoundCreateInput,
        responses={201: out.RoundSerializer, 409: CONFLICT},
    ),
)
class RoundViewSet(ScopedViewSet):
    serializer_class = out.RoundSerializer
    http_method_names = ["get", "post", "head", "options"]

    def create(self, request: Request) -> Response:
        data = given(inputs.RoundCreateInput, request)
        study = study_in_scope(request.user, data["study"])
        chosen = items_named(study, data["items"]) if "items" in data else None
        round_ = round_create(study=study, deadline=data.get("deadline"), items=chosen, user=acting_user(request))
        return self.answer(round_, status.HTTP_201_CREATED)

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
    list=extend_schema(
        summary="Participation per expert and round",
        parameters=[STUDY_PARAMETER, ROUNDS_PARAMETER, DEPRECATED_ROUND_PARAMETER],
    )
)
class ParticipationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Participation]):
    serializer_class = out.ParticipationSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Participation]:
        queryset = Participation.objects.select_related("round__study", "expert").filter(
            round__study__in=coordinated_study_ids(self.request.user, needs=Capability.RESULTS)
        )
        filters = ParticipationFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if filters.validated_data.get("rounds"):
            queryset = queryset.filter(round__number__in=filters.validated_data["rounds"])
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
