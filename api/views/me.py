"""An expert's own ratings in the open round: read them, or save a batch (all or nothing).

Saving goes through elicitation.expert.services.answers.answers_save, the same service as the round form.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import F, Value
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication.experts import ExpertSessionAuthentication, InvitationAuthentication, IsExpert
from api.inputs import ConsentInput, StrictInput, SubmitInput, SuggestionInput
from api.schema import ErrorSerializer
from api.serializers import UtcDayField
from core.errors import InvalidInput, RoundNotOpen
from elicitation.expert.services.access import expert_consent
from elicitation.expert.services.answers import (
    KEEP,
    AnswerInput,
    Source,
    area_response_save,
    ratings_save,
    round_submit,
    suggestion_add,
    unanswered_items,
)
from elicitation.models import Area, AreaResponse, Expert, Participation, Rating, Round, RoundItem, Suggestion

MAX_ANSWERS = 2000  # more than any round asks
UNKNOWN_ID = 0  # an area or criterion not in the study: the service reports it as not asked


class MyRatingsSerializer(serializers.Serializer[dict[str, Any]]):
    class ItemSerializer(serializers.Serializer[RoundItem]):
        area = serializers.UUIDField(source="area.uuid")
        area_code = serializers.CharField(source="area.code")
        criterion = serializers.UUIDField(source="criterion.uuid")
        criterion_code = serializers.CharField(source="criterion.code")
        area_title = serializers.CharField(source="area.title", help_text="In your language, as the form shows it.")
        area_description = serializers.CharField(source="area.description")
        criterion_title = serializers.CharField(source="criterion.title")
        criterion_description = serializers.CharField(source="criterion.description")
        label_min = serializers.CharField(source="criterion.label_min", help_text="What the bottom of the scale means.")
        label_max = serializers.CharField(source="criterion.label_max", help_text="What the top of the scale means.")
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


class MyRatingsInputSerializer(StrictInput):
    class AnswerSerializer(StrictInput):
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


def _inputs(answers: list[dict[str, Any]]) -> list[AnswerInput]:
    """Answers naming their items by UUID: the save finds them in the expert's study (unknown ones are not asked)."""
    return [
        AnswerInput(
            area_id=UNKNOWN_ID,
            criterion_id=UNKNOWN_ID,
            area_uuid=answer["area"],
            criterion_uuid=answer["criterion"],
            value=answer["value"],
            cannot_judge=answer["cannot_judge"],
        )
        for answer in answers
    ]


def _body(expert: Expert, round_: Round) -> dict[str, Any]:
    """What the round asks and the expert's answers in it, read in one query."""
    items: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    for kind, area, criterion, answer in _asked_and_answered(expert, round_):
        if kind == ITEM:
            items.append({"area": _in(expert.language, area), "criterion": _in(expert.language, criterion)})
        else:
            ratings.append({"area": area, "criterion": criterion, **answer})
    return dict(MyRatingsSerializer({"round": round_, "items": items, "ratings": ratings}).data)


def _in(language: str, item: dict[str, Any]) -> dict[str, Any]:
    """An area's or criterion's texts in ``language``, each falling back to the study's own (as the form)."""
    translations = item.pop("translations")
    texts = translations.get(language, {}) if isinstance(translations, dict) else {}
    return {key: (texts.get(key) or value) if key in TEXTS else value for key, value in item.items()}


TEXTS = {"title", "description", "label_min", "label_max"}
ITEM, RATING = 0, 1
ORDER = ("kind", "area__order", "area_id", "criterion__order", "criterion_id")
CRITERION_FIELDS = (
    "uuid",
    "code",
    "scale_min",
    "scale_max",
    "allow_cannot_judge",
    "title",
    "description",
    "label_min",
    "label_max",
    "translations",
)
AREA_FIELDS = ("uuid", "code", "title", "description", "translations")
ITEM_COLUMNS = (*(f"area__{name}" for name in AREA_FIELDS), *(f"criterion__{name}" for name in CRITERION_FIELDS))
ANSWER_FIELDS: dict[str, models.Field[Any, Any]] = {
    "answer_value": models.IntegerField(),
    "answer_cannot_judge": models.BooleanField(),
    "answer_updated_at": models.DateTimeField(),
}
Row = tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]  # kind, area, criterion, answer


def _asked_and_answered(expert: Expert, round_: Round) -> list[Row]:
    """The round's asked items (active area and criterion), then the expert's ratings, each in the form's order."""
    nothing = {name: Value(None, output_field=field) for name, field in ANSWER_FIELDS.items()}
    asked = (
        RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True)
        .annotate(kind=Value(ITEM), **nothing)
        .values_list(*ORDER, *ITEM_COLUMNS, *ANSWER_FIELDS)
        .order_by()  # no ordering inside a UNION's parts (SQLite refuses it); the union is ordered below
    )
    answered = (
        Rating.objects.filter(round=round_, expert=expert)
        .annotate(
            kind=Value(RATING),
            answer_value=F("value"),
            answer_cannot_judge=F("cannot_judge"),
            answer_updated_at=F("updated_at"),
        )
        .values_list(*ORDER, *ITEM_COLUMNS, *ANSWER_FIELDS)
        .order_by()
    )
    names = (*ITEM_COLUMNS, *ANSWER_FIELDS)
    rows: list[Row] = []
    for row in asked.union(answered, all=True).order_by(*ORDER):
        values = dict(zip(names, row[len(ORDER) :], strict=True))
        area = {name: values[f"area__{name}"] for name in AREA_FIELDS}
        criterion = {name: values[f"criterion__{name}"] for name in CRITERION_FIELDS}
        answer = {
            "value": values["answer_value"],
            "cannot_judge": values["answer_cannot_judge"],
            "updated_at": values["answer_updated_at"],
        }
        rows.append((row[0], area, criterion, answer))
    return rows


class MyRatingsView(APIView):
    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary="Your ratings in the open round (experts only)",
        responses={200: MyRatingsSerializer, 404: OpenApiResponse(ErrorSerializer, description="No round is open.")},
    )
    def get(self, request: Request) -> Response:
        expert = _expert(request)
        round_ = _shown_round(expert)
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
        expert = _consented_expert(request)
        given = MyRatingsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        round_uuid = given.validated_data.get("round")
        try:  # on PostgreSQL: the round lock, then one statement that also finds the items by their UUIDs
            saved = ratings_save(
                expert=expert,
                answers=_inputs(given.validated_data["answers"]),
                source=Source.API,
                round_uuid=round_uuid,
                open_round=round_uuid is None,
            )
        except Round.DoesNotExist:
            if round_uuid is None:
                raise RoundNotOpen(_("No round is open for answers.")) from None
            raise InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]}) from None
        return _no_store(Response(_body(expert, saved.round)))


class MyConsentSerializer(serializers.Serializer[dict[str, Any]]):
    study_title = serializers.CharField(help_text="In your language.")
    consent_text = serializers.CharField(help_text="What you agree to, in your language.")
    consented_on = UtcDayField(source="consented_at", allow_null=True, help_text="The UTC day you consented.")


def _consent_body(expert: Expert) -> dict[str, Any]:
    texts = expert.study.localized(expert.language)  # the expert's language, else the study's own
    return dict(
        MyConsentSerializer(
            {
                "study_title": texts["title"],
                "consent_text": texts["consent_text"],
                "consented_at": expert.consented_at,
            }
        ).data
    )


class MyConsentView(APIView):
    """Informed consent, as on the welcome page: no answer is taken before it."""

    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary="The study's consent text, and whether you consented (experts only)", responses=MyConsentSerializer
    )
    def get(self, request: Request) -> Response:
        return _no_store(Response(_consent_body(_expert(request))))

    @extend_schema(
        summary="Give your informed consent (once; giving it again changes nothing)",
        request=ConsentInput,
        responses={200: MyConsentSerializer},
    )
    def post(self, request: Request) -> Response:
        expert = _expert(request)
        ConsentInput(data=request.data).is_valid(raise_exception=True)
        expert = expert_consent(expert=expert)
        return _no_store(Response(_consent_body(expert)))


class MySubmissionSerializer(serializers.Serializer[Participation]):
    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    submitted_on = UtcDayField(source="submitted_at", help_text="The UTC day you submitted (never the time).")


class MySubmitView(APIView):
    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary='Submit your answers to the open round (every item answered, or "cannot judge")',
        description="As the form's submit button: participation then shows `submitted_on`. Answers can still "
        "change until the round closes; submitting again changes nothing. 400 lists each unanswered item as "
        "`items.<area code>.<criterion code>`.",
        request=SubmitInput,
        responses={
            200: MySubmissionSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Consent has not been given yet."),
            409: OpenApiResponse(ErrorSerializer, description="No round is open (any more)."),
        },
    )
    def post(self, request: Request) -> Response:
        expert = _consented_expert(request)
        given = SubmitInput(data=request.data)
        given.is_valid(raise_exception=True)
        round_uuid = given.validated_data.get("round")
        round_ = _answer_round(expert, round_uuid)
        try:
            participation = round_submit(expert=expert, round_id=round_.pk)
        except InvalidInput as refused:
            if not any(key.startswith("item.") for key in refused.field_errors):
                raise
            missing = unanswered_items(expert=expert, round_=round_)  # named by code, never by internal id
            refused.field_errors = {
                f"items.{item.area.code}.{item.criterion.code}": [_("Not answered yet.")] for item in missing
            }
            raise
        participation.round = round_
        return _no_store(Response(MySubmissionSerializer(participation).data))


class MyReasonsSerializer(serializers.Serializer[dict[str, Any]]):
    class ReasonSerializer(serializers.Serializer[AreaResponse]):
        area = serializers.UUIDField(source="area.uuid")
        area_code = serializers.CharField(source="area.code")
        confidence = serializers.IntegerField(allow_null=True, help_text="1 to 5, or null.")
        rationale = serializers.CharField(help_text="Your reason, as other experts read it in feedback.")

    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    reasons = ReasonSerializer(many=True, help_text="Your confidence and reason per area so far.")


class MyReasonsInputSerializer(StrictInput):
    class ReasonInput(StrictInput):
        area = serializers.UUIDField()
        confidence = serializers.IntegerField(
            allow_null=True, required=False, help_text="1 to 5, or null; left out: kept as it is."
        )
        rationale = serializers.CharField(
            allow_blank=True, required=False, max_length=20_000, help_text="Left out: kept as it is."
        )

    round = serializers.UUIDField(required=False, help_text="The round; refused (409) if it is no longer open.")
    reasons = ReasonInput(many=True, max_length=MAX_ANSWERS)  # type: ignore[call-arg]  # DRF >= 3.14


def _reasons_body(expert: Expert, round_: Round) -> dict[str, Any]:
    rows = (
        AreaResponse.objects.filter(round=round_, expert=expert)
        .select_related("area")
        .order_by("area__order", "area_id")
    )
    return dict(MyReasonsSerializer({"round": round_, "reasons": list(rows)}).data)


class MyReasonsView(APIView):
    """Confidence and reason per area, as the form's boxes under each area."""

    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary="Your confidence and reasons per area in the open round (experts only)",
        responses={200: MyReasonsSerializer, 404: OpenApiResponse(ErrorSerializer, description="No round is open.")},
    )
    def get(self, request: Request) -> Response:
        expert = _expert(request)
        round_ = _shown_round(expert)
        return _no_store(Response(_reasons_body(expert, round_)))

    @extend_schema(
        summary="Save your confidence and reasons for areas (all or nothing; errors keyed reasons.<index>)",
        description="Coordinators may hide a reason from feedback or add a translation beside it; it stays yours.",
        request=MyReasonsInputSerializer,
        responses={
            200: MyReasonsSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Consent has not been given yet."),
            409: OpenApiResponse(ErrorSerializer, description="The round is not open (any more)."),
        },
    )
    def put(self, request: Request) -> Response:
        expert = _consented_expert(request)
        given = MyReasonsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        round_uuid = given.validated_data.get("round")
        round_ = _answer_round(expert, round_uuid)
        reasons = given.validated_data["reasons"]
        named = Area.objects.filter(study_id=expert.study_id, uuid__in=[reason["area"] for reason in reasons])
        areas = dict(named.values_list("uuid", "pk"))
        with transaction.atomic():  # all or nothing, as me/ratings/
            for index, reason in enumerate(reasons):
                try:
                    area_response_save(
                        expert=expert,
                        round_id=round_.pk,
                        area_id=areas.get(reason["area"], UNKNOWN_ID),
                        confidence=reason.get("confidence", KEEP),
                        rationale=reason.get("rationale", KEEP),
                        source=Source.API,
                    )
                except InvalidInput as refused:
                    refused.field_errors = {
                        f"reasons.{index}.{name}": problems for name, problems in refused.field_errors.items()
                    }
                    raise
        return _no_store(Response(_reasons_body(expert, round_)))


class MySuggestionSerializer(serializers.Serializer[Suggestion]):
    uuid = serializers.UUIDField()
    round = serializers.UUIDField(source="round.uuid")
    round_number = serializers.IntegerField(source="round.number")
    text = serializers.CharField()


class MySuggestionsView(APIView):
    """A new area proposed in round 1, as the form's "Suggest a new area" box."""

    authentication_classes = [InvitationAuthentication, ExpertSessionAuthentication]
    permission_classes = [IsExpert]

    @extend_schema(
        summary="Suggest a new area (round 1 of a study that asks for suggestions; experts only)",
        description="The coordinators see it at `studies/{uuid}/suggestions/` and may add an area from it. "
        "400 if the round takes no suggestions, the text is empty or too long, or you made too many.",
        request=SuggestionInput,
        responses={
            201: MySuggestionSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Consent has not been given yet."),
            409: OpenApiResponse(ErrorSerializer, description="No round is open (any more)."),
        },
    )
    def post(self, request: Request) -> Response:
        expert = _consented_expert(request)
        given = SuggestionInput(data=request.data)
        given.is_valid(raise_exception=True)
        round_uuid = given.validated_data.get("round")
        round_ = _answer_round(expert, round_uuid)
        suggestion = suggestion_add(expert=expert, round_id=round_.pk, text=given.validated_data["text"])
        suggestion.round = round_
        return _no_store(Response(MySuggestionSerializer(suggestion).data, status=201))


def _round_of(expert: Expert, round_uuid: Any) -> Round:
    found = Round.objects.filter(study_id=expert.study_id, uuid=round_uuid).first()
    if found is None:
        raise InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]})
    return found


def _expert(request: Request) -> Expert:
    assert isinstance(request.auth, Expert)  # IsExpert let the request in
    return request.auth


def _consented_expert(request: Request) -> Expert:
    """The expert of a write: one who has not given consent yet is refused (403), as the form refuses them."""
    expert = _expert(request)
    if expert.consented_at is None:
        raise PermissionDenied(_("Open your personal link and give your consent before answering."))
    return expert


def _shown_round(expert: Expert) -> Round:
    """The open round a read shows; 404 when none is open."""
    round_ = _open_round(expert)
    if round_ is None:
        raise Http404(_("No round is open."))
    return round_


def _answer_round(expert: Expert, round_uuid: Any) -> Round:
    """The round a write is for: the one named (400 if not the expert's study's), else the open one (409 if none)."""
    round_ = _open_round(expert) if round_uuid is None else _round_of(expert, round_uuid)
    if round_ is None:
        raise RoundNotOpen(_("No round is open for answers."))
    return round_


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response
