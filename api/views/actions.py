"""Write operations of the REST API for coordinators: one small view per operation, each calling the
same service as the web page. Serializers only check the shape of the input; the rules live in the services.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import inputs
from api import serializers as out
from api.access import acting_user, coordinated_study_ids, round_in_scope, study_in_scope
from api.lookups import items_named
from api.schema import ErrorSerializer, ImportErrorSerializer
from coopsurvey import jobs
from coopsurvey.jobs import QUEUE_DOWN
from elicitation.expert.services.results_summary import (
    results_summary_preview,
    results_summary_recipients,
    results_summary_send,
)
from elicitation.expert.summary import final_round, took_part
from elicitation.models import AuditEvent, EmailJob, Expert, Round
from elicitation.rounds.services.invitations import invitations_send, reminders_send
from elicitation.rounds.services.lifecycle import round_close, round_open
from elicitation.rounds.services.planning import round_plan_next
from elicitation.setup.services.imports import MAX_IMPORT_BYTES, experts_import
from elicitation.setup.services.rules import rule_save

CONFLICT = OpenApiResponse(ErrorSerializer, description="Not allowed in the round's present state.")


def round_output(round_: Round) -> dict[str, Any]:
    fresh = Round.objects.select_related("study", "consensus_rule").prefetch_related("items__area", "items__criterion")
    return dict(out.RoundSerializer(fresh.get(pk=round_.pk)).data)


class RoundOpenView(APIView):
    class RoundOpenInputSerializer(inputs.StrictInput):
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
        return Response(round_output(round_))


class RoundCloseView(APIView):
    @extend_schema(summary="Close an open round", request=None, responses={200: out.RoundSerializer, 409: CONFLICT})
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        round_close(round=round_, user=request.user, reason="API")
        return Response(round_output(round_))


class ExpertsImportView(APIView):
    parser_classes = [MultiPartParser]

    class ExpertsImportInputSerializer(inputs.StrictInput):
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
        user = acting_user(request.user)
        experts = experts_import(study=study, user=user, data=data)
        for expert in experts:
            expert.study = study
        body = self.ExpertsImportOutputSerializer({"imported": len(experts), "experts": experts}).data
        return Response(body, status=status.HTTP_201_CREATED)


class StudyRuleView(APIView):
    @extend_schema(
        summary="Set the study's consensus rule (needed before round 1 opens; frozen with the analysis plan then)",
        description="Before round 1 opens this edits the draft rule; afterwards it creates the next rule version "
        "and plan version, and needs `reason`. Sending the same rule again changes nothing.",
        request=inputs.RuleInput,
        responses={200: out.ConsensusRuleSerializer},
    )
    def put(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = inputs.RuleInput(data=request.data)
        given.is_valid(raise_exception=True)
        parts = {name: _plain(value) for name, value in given.validated_data.items()}
        reason = parts.pop("reason", "")
        user = acting_user(request.user)
        rule = rule_save(study=study, user=user, reason=reason, **parts)
        return Response(out.ConsensusRuleSerializer(rule).data)


def _plain(value: Any) -> Any:
    """Nested parts as plain dicts (the service checks them again, part by part)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class RoundPlanView(APIView):
    @extend_schema(
        summary="Plan the next round from a closed round: the items it re-asks, by code",
        description="Creates the next round as a draft asking `items` (codes or UUIDs of the study's areas and "
        "criteria), or replaces the items of that draft if it exists. Open it with `rounds/{uuid}/open/`.",
        request=inputs.RoundPlanInput,
        responses={201: out.RoundSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        closed = round_in_scope(request.user, uuid)
        given = inputs.RoundPlanInput(data=request.data)
        given.is_valid(raise_exception=True)
        chosen = items_named(closed.study, given.validated_data["items"])
        user = acting_user(request.user)
        draft = round_plan_next(
            closed_round=closed, items=chosen, user=user, deadline=given.validated_data.get("deadline")
        )
        return Response(round_output(draft), status=status.HTTP_201_CREATED)


class EmailBatchSerializer(serializers.Serializer[dict[str, Any]]):
    """One sending (invitations or reminders of one request): its messages, each a durable job."""

    job = serializers.UUIDField(help_text="The sending's id: follow it at `email-jobs/{job}/`.")
    kind = serializers.ChoiceField(choices=EmailJob.Kind.choices)
    round = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["queued", "running", "done", "failed"],
        help_text="done once every message was handled (sent, or nothing left to send); failed if any failed "
        "for good; else queued or running.",
    )
    messages = serializers.IntegerField(help_text="Messages queued by the request (one per expert).")
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    sent = serializers.IntegerField(help_text="Messages that went out (a done job may have had nothing to send).")
    detail = serializers.CharField(required=False, help_text="Present when the task queue could not be reached.")


STEPS = ("queued", "running", "done", "failed")


def email_batch(batch: uuid_module.UUID, *, kind: str, round_: Round | None) -> dict[str, Any]:
    """The counts of one sending's jobs, in one query."""
    counts = EmailJob.objects.filter(batch=batch).aggregate(
        messages=Count("pk"),
        sent=Count("pk", filter=Q(sent=True)),
        **{step: Count("pk", filter=Q(status=step)) for step in STEPS},
    )
    if counts["failed"]:
        state = "failed"
    elif counts["queued"] + counts["running"] == 0:
        state = "done"
    else:
        state = "running" if counts["running"] else "queued"
    return {"job": batch, "kind": kind, "round": round_.uuid if round_ else None, "status": state, **counts}


def _accepted(batch: uuid_module.UUID, kind: str, round_: Round | None, unsent: list[Any]) -> Response:
    body = dict(EmailBatchSerializer(email_batch(batch, kind=kind, round_=round_)).data)
    if unsent:
        body["detail"] = str(QUEUE_DOWN)
    location = reverse("api-v1:email-job-detail", kwargs={"uuid": batch})
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class RoundInvitationsView(APIView):
    @extend_schema(
        summary="Send the open round's invitations (to everyone not invited yet, or again to chosen experts)",
        description="Queues one email job per expert on the durable job path and answers 202 with the "
        "sending's `job` id; follow it at `email-jobs/{job}/`. Sending again invites nobody twice.",
        request=inputs.InvitationsInput,
        responses={202: EmailBatchSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        given = inputs.InvitationsInput(data=request.data)
        given.is_valid(raise_exception=True)
        expert_ids = None
        if "experts" in given.validated_data:
            expert_ids = _experts_of(round_, given.validated_data["experts"])
        batch = uuid_module.uuid4()
        user = acting_user(request.user)
        with jobs.watching_sends() as unsent:
            invitations_send(round=round_, user=user, expert_ids=expert_ids, resend=expert_ids is not None, batch=batch)
        return _accepted(batch, EmailJob.Kind.INVITATION, round_, unsent)


def _experts_of(round_: Round, uuids: list[uuid_module.UUID]) -> list[int]:
    found = dict(Expert.objects.filter(study_id=round_.study_id, uuid__in=uuids).values_list("uuid", "pk"))
    unknown = [index for index, given in enumerate(uuids) if given not in found]
    if unknown:
        raise serializers.ValidationError({f"experts.{index}": ["No expert of this study."] for index in unknown})
    return [found[given] for given in uuids]


class RoundRemindersView(APIView):
    @extend_schema(
        summary="Remind the open round's invited experts who have not submitted",
        description="Skips experts reminded in the last 12 hours. Answers 202 with the sending's `job` id.",
        request=inputs.RemindersInput,
        responses={202: EmailBatchSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        round_ = round_in_scope(request.user, uuid)
        inputs.RemindersInput(data=request.data).is_valid(raise_exception=True)
        batch = uuid_module.uuid4()
        user = acting_user(request.user)
        with jobs.watching_sends() as unsent:
            reminders_send(round=round_, user=user, batch=batch)
        return _accepted(batch, EmailJob.Kind.REMINDER, round_, unsent)


class ResultsSummaryPreviewSerializer(serializers.Serializer[dict[str, Any]]):
    """The e-mail one language group receives (a stand-in expert: no personal link, no own answers)."""

    language = serializers.CharField()
    subject = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()


class ResultsSummarySerializer(serializers.Serializer[dict[str, Any]]):
    round = serializers.UUIDField(
        allow_null=True, help_text="The final round the summary reports on; null while the study has not ended."
    )
    took_part = serializers.IntegerField(help_text="Experts who submitted in a round and are still on the panel.")
    waiting = serializers.IntegerField(help_text="Of them, those who have not received the summary.")
    previews = ResultsSummaryPreviewSerializer(many=True, help_text="One per study language; empty before the end.")


class StudyResultsSummaryView(APIView):
    @extend_schema(
        summary="Preview the results summary e-mailed to the experts at the study's end, in every study language",
        responses=ResultsSummarySerializer,
    )
    def get(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        round_ = final_round(study)
        previews = []
        for language in study.languages or [study.default_language]:
            email = results_summary_preview(study=study, language=language)
            if email is not None:
                previews.append(
                    {"language": language, "subject": email.subject, "text": email.text, "html": email.html}
                )
        body = {
            "round": round_.uuid if round_ else None,
            "took_part": len(took_part(study)),
            "waiting": len(results_summary_recipients(study)),
            "previews": previews,
        }
        return Response(ResultsSummarySerializer(body).data)

    @extend_schema(
        summary="Send the results summary to the experts who took part (confirm: true)",
        description="Once no round is open and one has closed. Queues one email job per expert who submitted in "
        "a round and has not received the summary (`resend`: to all of them) and answers 202 with the sending's "
        "`job` id; follow it at `email-jobs/{job}/`. Sending twice without `resend` e-mails nobody twice.",
        request=inputs.ResultsSummaryInput,
        responses={202: EmailBatchSerializer, 409: CONFLICT},
    )
    def post(self, request: Request, uuid: str) -> Response:
        study = study_in_scope(request.user, uuid)
        given = inputs.ResultsSummaryInput(data=request.data)
        given.is_valid(raise_exception=True)
        batch = uuid_module.uuid4()
        user = acting_user(request.user)
        with jobs.watching_sends() as unsent:
            results_summary_send(study=study, user=user, resend=given.validated_data["resend"], batch=batch)
        return _accepted(batch, EmailJob.Kind.RESULTS_SUMMARY, final_round(study), unsent)


SENDINGS = {
    "invitations.send": EmailJob.Kind.INVITATION,
    "invitations.resend": EmailJob.Kind.INVITATION,
    "reminders.send": EmailJob.Kind.REMINDER,
    "results_summary.send": EmailJob.Kind.RESULTS_SUMMARY,
    "results_summary.resend": EmailJob.Kind.RESULTS_SUMMARY,
}


class EmailJobView(APIView):
    @extend_schema(
        summary="A sending of invitations, reminders or a results summary, with its progress",
        responses=EmailBatchSerializer,
    )
    def get(self, request: Request, uuid: uuid_module.UUID) -> Response:
        # The sending's audit event names it even when it queued nothing (everyone was already invited).
        event = (
            AuditEvent.objects.filter(
                action__in=list(SENDINGS), detail__batch=str(uuid), study__in=coordinated_study_ids(request.user)
            )
            .only("action", "detail")
            .first()
        )
        if event is None:
            raise Http404
        round_ = Round.objects.filter(pk=event.detail.get("round_id")).first()
        return Response(EmailBatchSerializer(email_batch(uuid, kind=SENDINGS[event.action], round_=round_)).data)
