"""Study reuse through the API: duplicate a study, save it as a template, the caller's templates, start a study
from one, import a definition and download a study's definition. The same services as the pages
(``elicitation.setup.services.reuse``): a copy obeys every rule a study made by hand obeys, and a refused
import answers 400 with the same ``(line, field path, message)`` problems as the import page.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs
from api import serializers as out
from api.access import study_in_scope
from api.schema import ErrorSerializer, ProblemSerializer
from core.access import studies_for_member
from elicitation.models import SavedTemplate, Study
from elicitation.setup.definition import MAX_DEFINITION_BYTES, definition_json, study_definition
from elicitation.setup.services import reuse


class DefinitionRefusedSerializer(ErrorSerializer):
    """A refused definition: nothing was created; a malformed request has only `field_errors`."""

    problems = ProblemSerializer(many=True, required=False)


REFUSED_IMPORT = OpenApiResponse(
    DefinitionRefusedSerializer,
    description="Nothing was created: `problems` lists each with its line and field path (none for a malformed "
    "request, whose `field_errors` name the fields).",
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated let the request in
    return request.user


def _created(request: Request, study: Study) -> Response:
    """201 with the new study as `studies/{uuid}/` gives it, and its address in Location."""
    fresh = studies_for_member(request.user).prefetch_related("consensus_rules").get(pk=study.pk)
    location = reverse("api-v1:study-detail", kwargs={"uuid": study.uuid})
    return Response(out.StudySerializer(fresh).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class TemplateSerializer(serializers.ModelSerializer[SavedTemplate]):
    class Meta:
        model = SavedTemplate
        fields = ["uuid", "title", "description", "source_title", "created_at"]


class StudyDuplicateView(APIView):
    class StudyDuplicateInput(inputs.StrictInput):
        title = serializers.CharField(max_length=inputs.MAX_TEXT)
        with_panel = serializers.BooleanField(
            required=False, default=False, help_text="Copy the panel too, as new experts who have not consented."
        )

    @extend_schema(
        summary="Copy a study: settings, texts, items, translations and rule (never answers, rounds or links)",
        request=StudyDuplicateInput,
        responses={201: out.StudySerializer, 400: REFUSED_IMPORT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = self.StudyDuplicateInput(data=request.data)
        given.is_valid(raise_exception=True)
        copy = reuse.study_duplicate(
            study=study,
            user=_user(request),
            title=given.validated_data["title"],
            with_panel=given.validated_data["with_panel"],
        )
        return _created(request, copy)


class StudySaveTemplateView(APIView):
    class TemplateSaveInput(inputs.StrictInput):
        title = serializers.CharField(max_length=inputs.MAX_TEXT)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=inputs.MAX_TEXT)

    @extend_schema(
        summary="Save the study's definition as one of your templates",
        request=TemplateSaveInput,
        responses={201: TemplateSerializer},
    )
    def post(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = self.TemplateSaveInput(data=request.data)
        given.is_valid(raise_exception=True)
        template = reuse.template_save(study=study, user=_user(request), **given.validated_data)
        location = reverse("api-v1:template-detail", kwargs={"uuid": template.uuid})
        return Response(
            TemplateSerializer(template).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class StudyDefinitionView(APIView):
    @extend_schema(
        summary="The study's definition (`study.json`): the file the import takes",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, uuid: str) -> HttpResponse:
        study = study_in_scope(request.user, uuid)
        response = HttpResponse(definition_json(study_definition(study)), content_type="application/json")
        name = slugify(study.title)[:60] or "study"
        response["Content-Disposition"] = f'attachment; filename="{name}-study.json"'
        return response


def _own_template(request: Request, uuid: str) -> SavedTemplate:
    """The caller's template; another's is a 404, as one that does not exist."""
    template = SavedTemplate.objects.filter(uuid=uuid, owner=_user(request)).first()
    if template is None:
        raise Http404
    return template


class TemplateListView(APIView):
    @extend_schema(summary="Your templates, newest first", responses=TemplateSerializer(many=True))
    def get(self, request: Request) -> Response:
        templates = SavedTemplate.objects.filter(owner=_user(request)).order_by("-created_at", "-id")
        return Response(TemplateSerializer(templates, many=True).data)


class TemplateDetailView(APIView):
    @extend_schema(summary="One of your templates", responses=TemplateSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        return Response(TemplateSerializer(_own_template(request, uuid)).data)

    @extend_schema(summary="Delete one of your templates (studies made from it stay)", responses={204: None})
    def delete(self, request: Request, uuid: str) -> Response:
        reuse.template_delete(template=_own_template(request, uuid), user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateStartView(APIView):
    class TemplateStartInput(inputs.StrictInput):
        title = serializers.CharField(max_length=inputs.MAX_TEXT)

    @extend_schema(
        summary="Start a new study from one of your templates",
        request=TemplateStartInput,
        responses={201: out.StudySerializer, 400: REFUSED_IMPORT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        template = _own_template(request, uuid)
        given = self.TemplateStartInput(data=request.data)
        given.is_valid(raise_exception=True)
        study = reuse.study_create_from_template(
            template=template, user=_user(request), title=given.validated_data["title"]
        )
        return _created(request, study)


class StudyImportView(APIView):
    """The body is the definition itself (``application/json``, read as the import page reads a file, so
    the problems name the same lines), or a form with the file."""

    parser_classes = [MultiPartParser]

    class StudyImportInput(inputs.StrictInput):
        file = serializers.FileField(help_text="A study definition (`study.json`), as `studies/{uuid}/definition/`.")
        title = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=inputs.MAX_TEXT, help_text="Else the file's."
        )

    @extend_schema(
        summary="Create a study from a definition file (all or nothing)",
        description="Send the definition as the JSON body (its title, or `?title=`), or as `file` in a form. "
        "A refused file answers 400 with every problem: its line for a JSON syntax error, else the field path "
        "(`areas[2].code`).",
        parameters=[OpenApiParameter("title", str, description="The new study's title (JSON body only).")],
        request={"application/json": OpenApiTypes.OBJECT, "multipart/form-data": StudyImportInput},
        responses={201: out.StudySerializer, 400: REFUSED_IMPORT},
    )
    def post(self, request: Request) -> Response:
        if (request.content_type or "").split(";")[0].strip() == "application/json":
            data, title = _raw_body(request), request.query_params.get("title", "")
        else:
            given = self.StudyImportInput(data=request.data)
            given.is_valid(raise_exception=True)
            data = bytes(given.validated_data["file"].read(MAX_DEFINITION_BYTES + 1))
            title = given.validated_data["title"]
        study = reuse.study_import(user=_user(request), data=data, title=title[: inputs.MAX_TEXT])
        return _created(request, study)


def _raw_body(request: Request) -> bytes:
    """The body's bytes, at most one past the limit (the service names the limit), unparsed."""
    return bytes(request._request.read(MAX_DEFINITION_BYTES + 1))  # DRF would parse it
