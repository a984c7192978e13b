"""A round's schedule and its pilot runs through the API: the same services as the round's pages
(``elicitation.rounds.services.scheduling`` and ``.pilot``).

A scheduled draft opens by itself at ``opens_at`` (beat) and its invitations go out then; ``DELETE``
cancels the schedule. Pilot runs are the answers kept while piloting the form in pilot mode: listed
apart from ratings (they never enter results or exports) and deletable.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs
from api import serializers as out
from api.access import acting_user, coordinated_study_ids, round_in_scope
from api.views.actions import CONFLICT, round_output
from elicitation.models import PilotResponse
from elicitation.rounds.services import pilot
from elicitation.rounds.services.scheduling import round_schedule, round_unschedule


class RoundScheduleView(APIView):
    class RoundScheduleInput(inputs.StrictInput):
        opens_at = serializers.DateTimeField(help_text="When the round opens and its invitations go out.")
        deadline = serializers.DateTimeField(help_text="The deadline it opens with.")

    @extend_schema(
        summary="Set a draft round to open at a set time (replaces an earlier schedule)",
        request=RoundScheduleInput,
        responses={200: out.RoundSerializer, 409: CONFLICT},
    )
    def put(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        given = self.RoundScheduleInput(data=request.data)
        given.is_valid(raise_exception=True)
        round_schedule(round=round_, user=acting_user(request.user), **given.validated_data)
        return Response(round_output(round_))

    @extend_schema(
        summary="Cancel the round's schedule: it stays a draft and opens only by hand",
        request=None,
        responses={200: out.RoundSerializer, 409: CONFLICT},
    )
    def delete(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        round_unschedule(round=round_, user=acting_user(request.user))
        return Response(round_output(round_))


class PilotRunSerializer(serializers.ModelSerializer[PilotResponse]):
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    answers = serializers.ListField(
        child=serializers.DictField(),
        help_text='[{"area": code, "criterion": code, "value": 7, "cannot_judge": false}]',
    )
    area_notes = serializers.DictField(
        child=serializers.DictField(), help_text='{area code: {"confidence": 4, "rationale": "…"}}'
    )

    class Meta:
        model = PilotResponse
        fields = ["uuid", "round", "tester_label", "language", "answers", "area_notes", "comment", "created_at"]


class RoundPilotListView(APIView):
    @extend_schema(
        summary="The round's pilot runs (pilot data: never in results or exports)",
        responses=PilotRunSerializer(many=True),
    )
    def get(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        runs = PilotResponse.objects.filter(round=round_).select_related("round").order_by("created_at", "id")
        return Response(PilotRunSerializer(runs, many=True).data)


class PilotRunDetailView(APIView):
    @extend_schema(summary="One pilot run", responses=PilotRunSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        return Response(PilotRunSerializer(_pilot_in_scope(request, uuid)).data)

    @extend_schema(summary="Delete a pilot run", responses={204: None})
    def delete(self, request: Request, uuid: str) -> Response:
        pilot.pilot_delete(response=_pilot_in_scope(request, uuid), user=acting_user(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _pilot_in_scope(request: Request, uuid: str) -> PilotResponse:
    """A pilot run of a study the caller coordinates; 404 otherwise."""
    found: Any = (
        PilotResponse.objects.select_related("round__study")
        .filter(uuid=uuid, round__study_id__in=coordinated_study_ids(request.user))
        .first()
    )
    if found is None:
        raise Http404
    return found
