"""Write operations of the REST API for coordinators: one small view per operation, each calling the
same service as the web page. Serializers only check the shape of the input; the rules live in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as out
from api.access import round_in_scope, study_in_scope
from api.schema import ErrorSerializer, ImportErrorSerializer
from elicitation.models import Round
from elicitation.rounds.services.lifecycle import round_close, round_open
from elicitation.setup.services.imports import MAX_IMPORT_BYTES, experts_import

CONFLICT = OpenApiResponse(ErrorSerializer, description="Not allowed in the round's present state.")


def _round_output(round_: Round) -> dict[str, Any]:
    fresh = Round.objects.select_related("study", "consensus_rule").prefetch_related("items__area", "items__criterion")
    return dict(out.RoundSerializer(fresh.get(pk=round_.pk)).data)


class RoundOpenView(APIView):
    class RoundOpenInputSerializer(serializers.Serializer[dict[str, Any]]):
        deadline = serializers.DateTimeField()

    @extend_schema(
        summary="Open a draft round",
        request=RoundOpenInputSerializer,
        responses={200: out.RoundSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        given = self.RoundOpenInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        round_open(round=round_, user=request.user, deadline=given.validated_data["deadline"])
        return Response(_round_output(round_))


class RoundCloseView(APIView):
    @extend_schema(summary="Close an open round", request=None, responses={200: out.RoundSerializer, 409: CONFLICT})
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        round_close(round=round_, user=request.user, reason="API")
        return Response(_round_output(round_))


class ExpertsImportView(APIView):
    parser_classes = [MultiPartParser]

    class ExpertsImportInputSerializer(serializers.Serializer[dict[str, Any]]):
        file = serializers.FileField(help_text="CSV: email, name, bloc, sector, language, expertise_<area code>.")

    class ExpertsImportOutputSerializer(serializers.Serializer[dict[str, Any]]):
        imported = serializers.IntegerField()
        experts = out.ExpertSerializer(many=True)

    @extend_schema(
        summary="Import panel members from a CSV file (all or nothing)",
        request={"multipart/form-data": ExpertsImportInputSerializer},
        responses={
            201: ExpertsImportOutputSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="Nothing was imported: `problems` lists each."),
        },
    )
    def post(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = self.ExpertsImportInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = bytes(given.validated_data["file"].read(MAX_IMPORT_BYTES + 1))
        user = request.user if isinstance(request.user, User) else None
        experts = experts_import(study=study, user=user, data=data)
        for expert in experts:
            expert.study = study
        body = self.ExpertsImportOutputSerializer({"imported": len(experts), "experts": experts}).data
        return Response(body, status=status.HTTP_201_CREATED)
