"""Exports through the API: stream a table now, or create, list and download export jobs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.access import study_in_scope
from api.inputs import StrictInput
from api.lists import STUDY_PARAMETER, UUID_PATTERN, ListFilters, Pagination
from api.schema import ErrorSerializer, deprecated
from coopsurvey import jobs
from coopsurvey.jobs import QUEUE_DOWN
from elicitation.models import Capability
from exports.models import ExportJob
from exports.progress import with_live_progress
from exports.selectors import export_jobs_for
from exports.services import FILE_TYPES, export_job_create, export_job_file, export_stream
from exports.tables import TABLE_NAMES


class FileNegotiation(BaseContentNegotiation):
    """Downloads answer any Accept header (and ignore ``?format=``); their errors are always JSON."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class LiveProgressListSerializer(serializers.ListSerializer[ExportJob]):
    """Lists read the live progress of running jobs in one cache round trip."""

    def to_representation(self, data: Any) -> list[Any]:
        jobs = list(data.all() if isinstance(data, QuerySet) else data)
        with_live_progress(jobs)
        return super().to_representation(jobs)


@deprecated("format")
class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    study = serializers.UUIDField(source="study.uuid", read_only=True)
    file_format = serializers.ChoiceField(source="format", choices=ExportJob.Format.choices, read_only=True)
    format = serializers.ChoiceField(
        choices=ExportJob.Format.choices, read_only=True, help_text="Deprecated alias of `file_format`."
    )
    progress = serializers.IntegerField(source="progress_percent", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "uuid",
            "study",
            "file_format",
            "format",
            "table",
            "round_numbers",
            "bom",
            "status",
            "progress",
            "rows_total",
            "rows_written",
            "file_size",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]
        list_serializer_class = LiveProgressListSerializer

    def to_representation(self, instance: ExportJob) -> dict[str, Any]:
        if not getattr(self, "parent", None):
            with_live_progress([instance])
        return super().to_representation(instance)

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        path = reverse("api-v1:export-download", kwargs={"uuid": job.uuid})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


@deprecated("format")
class ExportJobInput(StrictInput):
    study = serializers.UUIDField()
    file_format = serializers.ChoiceField(choices=ExportJob.Format.choices, required=False)
    format = serializers.ChoiceField(
        choices=ExportJob.Format.choices, required=False, help_text="Deprecated alias of `file_format`."
    )
    table = serializers.ChoiceField(choices=ExportJob.Table.choices, default=ExportJob.Table.ALL)
    rounds = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100)
    bom = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``file_format`` (the tables' name), or its deprecated alias ``format``; two different ones are a 400."""
        chosen = {attrs[name] for name in ("file_format", "format") if name in attrs}
        if not chosen:
            raise serializers.ValidationError({"file_format": [_("This field is required.")]})
        if len(chosen) > 1:
            raise serializers.ValidationError({"format": [_("Give file_format only (format is its old name).")]})
        attrs["file_format"] = chosen.pop()
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Export jobs of your studies", parameters=[STUDY_PARAMETER]),
    retrieve=extend_schema(summary="An export job, with its progress"),
)
class ExportJobViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[ExportJob]
):
    serializer_class = ExportJobSerializer
    pagination_class = Pagination
    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[ExportJob]:
        # The jobs this person's role may have on each study (exports.selectors), as on the export page.
        queryset = export_jobs_for(self.request.user).select_related("study")
        if self.action == "list":
            filters = ListFilters(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if "study" in filters.validated_data:
                queryset = queryset.filter(
                    study=study_in_scope(self.request.user, filters.validated_data["study"], needs=Capability.RESULTS)
                )
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        summary="Create an export job",
        description="Builds the file in the background: poll the job until `status` is `done`, then follow "
        "`download_url`. 202 instead of 201: the job is recorded but the task queue is unreachable; it runs "
        "when the queue is back (`detail` says so). A study you do not coordinate answers 404.",
        request=ExportJobInput,
        responses={201: ExportJobSerializer, 202: ExportJobSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ExportJobInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        study = study_in_scope(request.user, data["study"], needs=Capability.RESULTS)
        with jobs.watching_sends() as unsent:
            job = export_job_create(
                user=request.user,
                study=study,
                fmt=data["file_format"],
                table=data["table"],
                round_numbers=data.get("rounds", []),
                bom=data["bom"],
            )
        job = ExportJob.objects.select_related("study").get(pk=job.pk)
        body = ExportJobSerializer(job, context=self.get_serializer_context()).data
        location = reverse("api-v1:export-detail", kwargs={"uuid": job.uuid})
        if unsent:  # recorded, but the task queue is down: it runs when the queue is back
            body["detail"] = str(QUEUE_DOWN)
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="Download an export job's file",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            409: OpenApiResponse(ErrorSerializer, description="The file is not ready (or failed)."),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def download(self, request: Request, uuid: UUID) -> FileResponse:
        job = self.get_object()
        path = export_job_file(user=request.user, job=job)
        response = FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name)
        response["Content-Type"] = FILE_TYPES[job.format]
        response["Cache-Control"] = "no-store"
        return response


class TableQuery(serializers.Serializer[dict[str, Any]]):
    file_format = serializers.ChoiceField(choices=["csv", "json"], default="csv")
    rounds = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    bom = serializers.BooleanField(default=False)


class StudyTableView(APIView):
    """One table of a study streamed as CSV or JSON, in constant memory however large."""

    content_negotiation_class = FileNegotiation

    @extend_schema(
        operation_id="studies_tables_retrieve",
        summary="Stream one table of a study (CSV or JSON)",
        parameters=[
            OpenApiParameter("table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=TABLE_NAMES),
            OpenApiParameter("file_format", OpenApiTypes.STR, enum=["csv", "json"], description="Default csv."),
            OpenApiParameter("rounds", OpenApiTypes.INT, many=True, description="Round numbers; default every round."),
            OpenApiParameter("bom", OpenApiTypes.BOOL, description="Start a CSV with a byte order mark."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="RFC 4180 CSV, UTF-8."),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="An array of row objects."),
        },
    )
    def get(self, request: Request, uuid: UUID, table: str) -> StreamingHttpResponse:
        study = study_in_scope(request.user, uuid, needs=Capability.RESULTS)
        query = TableQuery(data={**request.query_params.dict(), "rounds": request.query_params.getlist("rounds")})
        query.is_valid(raise_exception=True)
        if table not in TABLE_NAMES:
            raise serializers.ValidationError({"table": [f"Choose one of: {', '.join(TABLE_NAMES)}."]})
        stream = export_stream(
            user=request.user,
            study=study,
            table=table,
            fmt=query.validated_data["file_format"],
            round_numbers=query.validated_data.get("rounds", []),
            bom=query.validated_data["bom"],
        )
        response = StreamingHttpResponse(stream.chunks, content_type=stream.content_type)
        response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
        response["Cache-Control"] = "no-store"
        return response
