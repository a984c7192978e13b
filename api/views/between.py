"""Between rounds, through the API: the steps a coordinator takes on the moderation, planning, round and panel
pages (moderate the experts' reasons, reword and add areas, the round's message and its preview, the deadline,
erasure, the experts' suggestions). Each view checks the shape of the body and calls the page's service; the
rules, the audit and the refusals (409 for a step the present state does not allow) are the services'.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs
from api import serializers as out
from api.access import (
    acting_user,
    area_in_scope,
    expert_in_scope,
    rationale_in_scope,
    round_in_scope,
    study_in_scope,
)
from api.lists import Pagination
from api.schema import ErrorSerializer
from api.serializers import UtcDayField
from api.views.actions import CONFLICT, round_output
from core.errors import InvalidInput
from elicitation.models import Area, AreaResponse, Study, Suggestion
from elicitation.rounds.selectors import rationale_rows, suggestion_rows
from elicitation.rounds.services.lifecycle import round_set_deadline
from elicitation.rounds.services.messages import email_preview, round_set_messages
from elicitation.rounds.services.moderation import rationale_hide, rationale_translate, rationale_unhide
from elicitation.rounds.services.planning import area_add, area_reword
from elicitation.setup.services.erasure import ERASED_TEXT, erasure_confirmed, expert_erase

# Moderation ---------------------------------------------------------------------------------------


class RationaleSerializer(serializers.Serializer[AreaResponse]):
    """An expert's reason for an area, as the moderation page shows it."""

    uuid = serializers.UUIDField()
    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    area = serializers.UUIDField(source="area.uuid")
    area_code = serializers.CharField(source="area.code")
    expert = serializers.SerializerMethodField(help_text="The pseudonym; null in strict anonymity mode.")
    confidence = serializers.IntegerField(allow_null=True, help_text="1 to 5, or null.")
    rationale = serializers.CharField(help_text="As the expert wrote it.")
    rationale_language = serializers.CharField()
    translation = serializers.CharField(help_text="The coordinators' translation; empty if none.")
    translation_language = serializers.CharField()
    hidden = serializers.SerializerMethodField(help_text="Hidden from the experts' feedback (never deleted).")
    hidden_at = serializers.DateTimeField(allow_null=True)
    erased = serializers.SerializerMethodField(help_text="The expert's texts were erased on request.")

    def get_expert(self, response: AreaResponse) -> str | None:
        if response.round.study.anonymity == Study.Anonymity.STRICT:
            return None
        return response.expert.pseudonym

    def get_hidden(self, response: AreaResponse) -> bool:
        return response.hidden_at is not None

    def get_erased(self, response: AreaResponse) -> bool:
        return response.rationale == ERASED_TEXT


def rationale_output(response: AreaResponse, study: Study) -> dict[str, Any]:
    response.round.study = study
    return dict(RationaleSerializer(response).data)


class RoundRationaleListView(generics.ListAPIView[AreaResponse]):
    serializer_class = RationaleSerializer
    pagination_class = Pagination

    @extend_schema(summary="The round's rationales to moderate (coordinators), by area and then expert")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        round_ = round_in_scope(self.request.user, self.kwargs["uuid"])
        self.round = round_
        return rationale_rows(round_)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # The round and its study are known: no query per row for them.
        for response in args[0] if args else []:
            response.round = self.round
        return super().get_serializer(*args, **kwargs)


class RationaleHideView(APIView):
    @extend_schema(
        summary="Hide a rationale from the experts' feedback (kept, audited; hiding it again changes nothing)",
        request=inputs.RationaleHideInput,
        responses={200: RationaleSerializer},
    )
    def post(self, request: Request, uuid: str) -> Response:
        response = rationale_in_scope(request.user, uuid)
        given = inputs.RationaleHideInput(data=request.data)
        given.is_valid(raise_exception=True)
        saved = rationale_hide(
            response=response, user=acting_user(request.user), reason=given.validated_data.get("reason", "")
        )
        return Response(rationale_output(_with(saved, response), response.round.study))


class RationaleUnhideView(APIView):
    @extend_schema(
        summary="Show a hidden rationale in feedback again (the hiding stays in the audit trail)",
        request=inputs.RationaleUnhideInput,
        responses={200: RationaleSerializer},
    )
    def post(self, request: Request, uuid: str) -> Response:
        response = rationale_in_scope(request.user, uuid)
        inputs.RationaleUnhideInput(data=request.data).is_valid(raise_exception=True)
        saved = rationale_unhide(response=response, user=acting_user(request.user))
        return Response(rationale_output(_with(saved, response), response.round.study))


class RationaleTranslationView(APIView):
    @extend_schema(
        summary="Add, replace or (with an empty translation) remove the coordinators' translation of a rationale",
        description="Experts see the translation beside the original, marked as the coordinators'.",
        request=inputs.RationaleTranslationInput,
        responses={200: RationaleSerializer},
    )
    def put(self, request: Request, uuid: str) -> Response:
        response = rationale_in_scope(request.user, uuid)
        given = inputs.RationaleTranslationInput(data=request.data)
        given.is_valid(raise_exception=True)
        saved = rationale_translate(
            response=response,
            user=acting_user(request.user),
            text=given.validated_data["translation"],
            language=given.validated_data.get("language", ""),
        )
        return Response(rationale_output(_with(saved, response), response.round.study))


def _with(saved: AreaResponse, looked_up: AreaResponse) -> AreaResponse:
    """The saved row with the area and expert already read (the service locks the row alone)."""
    saved.area, saved.expert = looked_up.area, looked_up.expert
    return saved


# Areas between rounds -----------------------------------------------------------------------------


def area_output(area: Area) -> dict[str, Any]:
    return dict(out.AreaSerializer(Area.objects.select_related("study").get(pk=area.pk)).data)


class AreaRewordView(APIView):
    @extend_schema(
        summary="Reword an area between rounds, in every language at once (as the plan page)",
        description="The old wording is kept as a revision per language and experts see the area marked as "
        "changed from the next round. Refused (409) while an open round asks the area; 400 if nothing changed.",
        request=inputs.AreaRewordInput,
        responses={200: out.AreaSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        area = area_in_scope(request.user, uuid)
        given = inputs.AreaRewordInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        area_reword(
            area=area,
            user=acting_user(request.user),
            title=data["title"],
            description=data.get("description", ""),
            translations=_texts(data.get("translations")),
        )
        return Response(area_output(area))


def _texts(translations: dict[str, dict[str, str]] | None) -> dict[str, dict[str, str]] | None:
    """Only a title and a description per language: another key is a 400 naming it, never dropped."""
    if translations is None:
        return None
    errors = {
        f"translations.{language}.{key}": [_("Unknown field.")]
        for language, texts in translations.items()
        for key in texts
        if key not in ("title", "description")
    }
    if errors:
        raise serializers.ValidationError(errors)
    return {language: dict(texts) for language, texts in translations.items()}


class StudyAreaAddView(APIView):
    @extend_schema(
        summary="Add an area between rounds (as the plan page): after the others, into the drafted next round",
        description="The code is made from the title. If the next round is drafted, the area's items (with every "
        "active criterion) join it; `suggestions` links the experts' suggestions it comes from.",
        request=inputs.AreaAddInput,
        responses={201: out.AreaSerializer},
    )
    def post(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = inputs.AreaAddInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        area = area_add(
            study=study,
            user=acting_user(request.user),
            title=data["title"],
            description=data.get("description", ""),
            suggestion_ids=_suggestions_of(study, data.get("suggestions", [])),
            translations=_texts(data.get("translations")),
        )
        return Response(area_output(area), status=status.HTTP_201_CREATED)


def _suggestions_of(study: Study, uuids: list[Any]) -> list[int]:
    found = dict(Suggestion.objects.filter(round__study=study, uuid__in=uuids).values_list("uuid", "pk"))
    unknown = [index for index, given in enumerate(uuids) if given not in found]
    if unknown:
        raise serializers.ValidationError(
            {f"suggestions.{index}": [_("No suggestion of this study.")] for index in unknown}
        )
    return [found[given] for given in uuids]


class SuggestionSerializer(serializers.Serializer[Suggestion]):
    """An expert's suggestion of a new area (who made it is not given)."""

    uuid = serializers.UUIDField()
    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    text = serializers.CharField()
    created_on = UtcDayField(source="created_at", help_text="The UTC day it was made.")
    areas = serializers.SerializerMethodField(help_text="Codes of the areas added from it (`add-area/`).")

    def get_areas(self, suggestion: Suggestion) -> list[str]:
        return [area.code for area in suggestion.areas.all()]


class StudySuggestionListView(generics.ListAPIView[Suggestion]):
    serializer_class = SuggestionSerializer
    pagination_class = Pagination

    @extend_schema(summary="The experts' suggestions of new areas (coordinators); accept one by adding an area")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return suggestion_rows(study_in_scope(self.request.user, self.kwargs["uuid"]))


# The round's message, its preview and its deadline ------------------------------------------------


class RoundMessagesSerializer(serializers.Serializer[dict[str, Any]]):
    round = serializers.UUIDField()
    messages = serializers.DictField(child=serializers.CharField(), help_text="The message per language.")


def _messages_body(round_: Any) -> dict[str, Any]:
    return dict(RoundMessagesSerializer({"round": round_.uuid, "messages": round_.messages or {}}).data)


class RoundMessagesView(APIView):
    @extend_schema(summary="The round's message to experts, per language", responses=RoundMessagesSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        return Response(_messages_body(round_in_scope(request.user, uuid)))

    @extend_schema(
        summary="Set the round's message to experts in each language (shown in its invitations and reminders)",
        description="Refused (409) once the round is closed. Check it with `rounds/{uuid}/email-preview/`.",
        request=inputs.RoundMessagesInput,
        responses={200: RoundMessagesSerializer, 409: CONFLICT},
    )
    def put(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        given = inputs.RoundMessagesInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            saved = round_set_messages(
                round=round_, user=acting_user(request.user), messages=given.validated_data["messages"]
            )
        except InvalidInput as refused:  # the page's fields are message_<language>; here messages.<language>
            refused.field_errors = {
                f"messages.{name.removeprefix('message_')}": problems for name, problems in refused.field_errors.items()
            }
            raise
        return Response(_messages_body(saved))


class EmailPreviewSerializer(serializers.Serializer[Any]):
    language = serializers.CharField()
    kind = serializers.ChoiceField(choices=["invitation", "reminder"])
    subject = serializers.CharField()
    text = serializers.CharField(help_text="The plain-text part.")
    html = serializers.CharField(help_text="The HTML part.")
    from_email = serializers.CharField()
    reply_to = serializers.ListField(child=serializers.CharField())


class PreviewQuery(serializers.Serializer[dict[str, Any]]):
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    kind = serializers.ChoiceField(choices=["invitation", "reminder"], required=False)


class RoundEmailPreviewView(APIView):
    @extend_schema(
        summary="Exactly what experts reading a language receive for this round (the personal link a placeholder)",
        parameters=[
            OpenApiParameter(
                "language",
                OpenApiTypes.STR,
                enum=[code for code, _name in settings.LANGUAGES],
                description="One of the study's languages; default the study's own.",
            ),
            OpenApiParameter(
                "kind", OpenApiTypes.STR, enum=["invitation", "reminder"], description="Default: invitation."
            ),
        ],
        responses={200: EmailPreviewSerializer},
    )
    def get(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        query = PreviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        study = round_.study
        language = query.validated_data.get("language", study.default_language)
        if language not in (study.languages or []):
            raise serializers.ValidationError({"language": [_("Choose one of the study's languages.")]})
        kind = query.validated_data.get("kind", "invitation")
        email = email_preview(round_=round_, language=language, kind=kind)
        body = {
            "language": email.language,
            "kind": kind,
            "subject": email.subject,
            "text": email.text,
            "html": email.html,
            "from_email": email.from_email,
            "reply_to": email.reply_to,
        }
        return Response(EmailPreviewSerializer(body).data)


class RoundDeadlineView(APIView):
    @extend_schema(
        summary="Move the open round's deadline (e.g. extend it for late experts)",
        request=inputs.RoundDeadlineInput,
        responses={200: out.RoundSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        given = inputs.RoundDeadlineInput(data=request.data)
        given.is_valid(raise_exception=True)
        round_set_deadline(round=round_, user=acting_user(request.user), deadline=given.validated_data["deadline"])
        return Response(round_output(round_))


# Erasure ------------------------------------------------------------------------------------------


class ExpertEraseView(APIView):
    @extend_schema(
        summary="Erase an expert's personal data (irreversible; coordinators only; audited)",
        description="Name, address, time zone, expertise and every link go, and the texts the expert wrote are "
        "replaced; the pseudonymous answers stay. `confirm` must be the expert's pseudonym (E-07), or in "
        "strict anonymity their email address, as on the page. 409 if already erased.",
        request=inputs.ExpertEraseInput,
        responses={
            200: out.ExpertSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`confirm` does not name this expert."),
            409: CONFLICT,
        },
    )
    def post(self, request: Request, uuid: str) -> Response:
        expert = expert_in_scope(request.user, uuid)
        given = inputs.ExpertEraseInput(data=request.data)
        given.is_valid(raise_exception=True)
        if expert.erased_at is None and not erasure_confirmed(expert, given.validated_data["confirm"]):
            message = (
                _("This is not the email address of the expert to erase.")
                if expert.study.anonymity == Study.Anonymity.STRICT
                else _("This is not the pseudonym of the expert to erase.")
            )
            raise serializers.ValidationError({"confirm": [message]})
        erased = expert_erase(expert=expert, user=acting_user(request.user))
        return Response(out.ExpertSerializer(erased).data)
