"""An expert's own ratings in the open round: read them, or save a batch (all or nothing).

Saving goes through elicitation.expert.services.answers.answers_save, the same service as the round form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication.experts import ExpertSessionAuthentication, InvitationAuthentication, IsExpert
from api.schema import ErrorSerializer
from api.serializers import UtcDayField
from core.errors import InvalidInput, RoundNotOpen
from elicitation.expert.services.answers import AnswerInput, Source, answers_save
from elicitation.models import Area, Criterion, Expert, Rating, Round, RoundItem

MAX_ANSWERS = 2000  # more than any round asks
UNKNOWN_ID = 0  # an area or criterion not in the study: the service reports it as not asked


class MyRatingsSerializer(serializers.Serializer[dict[str, Any]]):
    class ItemSerializer(serializers.Serializer[RoundItem]):
        area = serializers.UUIDField(source="area.uuid")
        area_code = serializers.CharField(source="area.code")
        criterion = serializers.UUIDField(source="criterion.uuid")
        criterion_code = serializers.CharField(source="criterion.code")
        scale_min = serializers.IntegerField(source="criterion.scale_min")
        scale_max = serializers.IntegerField(source="criterion.scale_max")
        allow_cannot_judge = serializers.BooleanField(source="criterion.allow_cannot_judge")

    class RatingSerializer(serializers.Serializer[Rating]):
        area = serializers.UUIDField(source="area.uuid")
        criterion = serializers.UUIDField(source="criterion.uuid")
        value = serializers.IntegerField(allow_null=True)
        cannot_judge = serializers.BooleanField()
        updated_on = UtcDayField(
            source="updated_at",
            read_only=True,
            help_text="The UTC day the answer last changed: answer times are never given more exactly (anonymity).",
        )

    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    deadline = serializers.DateTimeField(source="round.deadline", allow_null=True)
    items = ItemSerializer(many=True, help_text="What this round asks.")
    ratings = RatingSerializer(many=True, help_text="Your answers so far.")


class MyRatingsInputSerializer(serializers.Serializer[dict[str, Any]]):
    class AnswerSerializer(serializers.Serializer[dict[str, Any]]):
        area = serializers.UUIDField()
        criterion = serializers.UUIDField()
        value = serializers.IntegerField(allow_null=True, required=False, default=None)
        cannot_judge = serializers.BooleanField(required=False, default=False)

    round = serializers.UUIDField(
        required=False, help_text="The round these answers are for; refused (409) if it is no longer open."
    )
    answers = AnswerSerializer(many=True, max_length=MAX_ANSWERS)  # type: ignore[call-arg]  # DRF >= 3.14


def _open_round(expert: Expert) -> Round | None:
    return Round.objects.filter(study_id=expert.study_id, status=Round.Status.OPEN).first()


def _items(round_: Round) -> QuerySet[RoundItem]:
    return (
        RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True)
        .select_related("area", "criterion")
        .order_by("area__order", "area_id", "criterion__order", "criterion_id")
    )


def _body(expert: Expert, round_: Round) -> dict[str, Any]:
    ratings = (
        Rating.objects.filter(round=round_, expert=expert)
        .select_related("area", "criterion")
        .order_by("area__order", "area_id", "criterion__order", "criterion_id")
    )
    return dict(MyRatingsSerializer({"round": round_, "items": _items(round_), "ratings": ratings}).data)


def _inputs(expert: Expert, answers: list[dict[str, Any]]) -> list[AnswerInput]:
    """Answers with the study's ids for their UUIDs; whether each is asked is the service's question."""
    areas = dict(Area.objects.filter(study_id=expert.study_id).values_list("uuid", "pk"))
    criteria = dict(Criterion.objects.filter(study_id=expert.study_id).values_list("uuid", "pk"))
    return [
        AnswerInput(
            area_id=areas.get(answer["area"], UNKNOWN_ID),
            criterion_id=criteria.get(answer["criterion"], UNKNOWN_ID),
            value=answer["value"],
            cannot_judge=answer["cannot_judge"],
        )
        for answer in answers
    ]


def _round_for_answers(expert: Expert, round_uuid: UUID | None) -> Round:
    if round_uuid is None:
        round_ = _open_round(expert)
        if round_ is None:
            raise RoundNotOpen(_("No round is open for answers."))
        return round_
    round_ = Round.objects.filter(uuid=round_uuid, study_id=expert.study_id).first()
    if round_ is None:
        raise InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]})
    return round_


class MyRatingsView(APIView):
    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary="Your ratings in the open round (experts only)",
        responses={200: MyRatingsSerializer, 404: OpenApiResponse(ErrorSerializer, description="No round is open.")},
    )
    def get(self, request: Request) -> Response:
        expert = _expert(request)
        round_ = _open_round(expert)
        if round_ is None:
            raise Http404(_("No round is open."))
        return _no_store(Response(_body(expert, round_)))

    @extend_schema(
        summary="Save a batch of your ratings (all or nothing; errors keyed answers.<index>)",
        request=MyRatingsInputSerializer,
        responses={
            200: MyRatingsSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Consent has not been given yet."),
            409: OpenApiResponse(ErrorSerializer, description="The round is not open (any more)."),
        },
    )
    def put(self, request: Request) -> Response:
        expert = _expert(request)
        if expert.consented_at is None:
            raise PermissionDenied(_("Open your personal link and give your consent before answering."))
        given = MyRatingsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        round_ = _round_for_answers(expert, given.validated_data.get("round"))
        answers_save(
            expert=expert,
            round_id=round_.pk,
            answers=_inputs(expert, given.validated_data["answers"]),
            source=Source.API,
        )
        return _no_store(Response(_body(expert, round_)))


def _expert(request: Request) -> Expert:
    assert isinstance(request.auth, Expert)  # IsExpert let the request in
    return request.auth


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response
