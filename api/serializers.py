"""Output serializers of the read-only resources: plain field lists, no logic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from elicitation.models import Area, ConsensusRule, Criterion, Expert, Participation, Round, Study


class ConsensusRuleSerializer(serializers.ModelSerializer[ConsensusRule]):
    is_frozen = serializers.BooleanField(read_only=True)

    class Meta:
        model = ConsensusRule
        fields = [
            "version",
            "max_iqr",
            "band",
            "min_percent_in_band",
            "max_percent_opposite_band",
            "max_cv",
            "min_cns",
            "require_rand_agreement",
            "parts_by_kind",
            "parts_by_criterion",
            "inclusion",
            "divide_threshold",
            "created_at",
            "frozen_at",
            "is_frozen",
        ]


class StudySerializer(serializers.ModelSerializer[Study]):
    expert_count = serializers.IntegerField(read_only=True)
    round_count = serializers.IntegerField(read_only=True)
    consensus_rules = ConsensusRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Study
        fields = [
            "uuid",
            "title",
            "question",
            "mode",
            "anonymity",
            "feedback_timing",
            "feedback_by_bloc",
            "quantile_method",
            "min_group_size",
            "default_language",
            "languages",
            "blocs",
            "sectors",
            "created_at",
            "end_date",
            "single_use_links",
            "expert_count",
            "round_count",
            "consensus_rules",
        ]


class AreaSerializer(serializers.ModelSerializer[Area]):
    study = serializers.UUIDField(source="study.uuid", read_only=True)

    class Meta:
        model = Area
        fields = ["uuid", "study", "code", "title", "description", "translations", "order", "is_active", "created_at"]


class CriterionSerializer(serializers.ModelSerializer[Criterion]):
    study = serializers.UUIDField(source="study.uuid", read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "uuid",
            "study",
            "code",
            "kind",
            "title",
            "description",
            "translations",
            "scale_min",
            "scale_max",
            "label_min",
            "label_max",
            "allow_cannot_judge",
            "order",
            "is_active",
        ]


class ExpertSerializer(serializers.ModelSerializer[Expert]):
    """A panel member. The address is for the study's coordinators only, who alone can reach this resource."""

    study = serializers.UUIDField(source="study.uuid", read_only=True)
    pseudonym = serializers.CharField(read_only=True, allow_null=True, help_text="Null in strict anonymity mode.")
    email = serializers.SerializerMethodField()

    class Meta:
        model = Expert
        fields = ["uuid", "study", "pseudonym", "bloc", "sector", "language", "is_active", "email"]

    def get_email(self, expert: Expert) -> str | None:
        if expert.erased_at is not None:
            return None
        return expert.email

    def to_representation(self, instance: Expert) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.study.anonymity == Study.Anonymity.STRICT:
            data["pseudonym"] = None  # strict anonymity: no response pairs a pseudonym with an address
        return data


class RoundItemSerializer(serializers.Serializer[object]):
    area = serializers.CharField(source="area.code")
    criterion = serializers.CharField(source="criterion.code")


class RoundSerializer(serializers.ModelSerializer[Round]):
    study = serializers.UUIDField(source="study.uuid", read_only=True)
    consensus_rule_version = serializers.IntegerField(source="consensus_rule.version", read_only=True, allow_null=True)
    items = RoundItemSerializer(many=True, read_only=True)
    participants = serializers.IntegerField(read_only=True, help_text="Experts taking part in the round.")
    invited = serializers.IntegerField(read_only=True, help_text="How many were invited.")
    opened = serializers.IntegerField(read_only=True, help_text="How many opened their link.")
    started = serializers.IntegerField(read_only=True, help_text="How many gave at least one answer.")
    submitted = serializers.IntegerField(read_only=True, help_text="How many submitted.")

    class Meta:
        model = Round
        fields = [
            "uuid",
            "study",
            "number",
            "status",
            "deadline",
            "opened_at",
            "closed_at",
            "consensus_rule_version",
            "scheduled_open_at",
            "scheduled_deadline",
            "schedule_problem",
            "items",
            "participants",
            "invited",
            "opened",
            "started",
            "submitted",
        ]


class UtcDayField(serializers.DateField):
    """A moment given to the UTC day only (read-only): times of experts' steps are never given more exactly."""

    def to_representation(self, value: dt.datetime | dt.date) -> str:
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).date()
        return super().to_representation(value)


STRICT_HIDDEN = ("pseudonym", "opened_on", "started_on", "submitted_on", "last_reminded_at", "reminder_count")


class ParticipationSerializer(serializers.ModelSerializer[Participation]):
    """Who was invited and reminded, and on which day each expert opened, started and submitted.

    The expert's own steps are given to the UTC day only: an exact time could be matched against the
    moment a live result changed, and so join a person to a rating (anonymity). In strict anonymity mode
    a row says only that the expert was invited: the pseudonym, the steps and the reminders (sent only
    to those who have not submitted) are null, and the round resource gives the counts.
    """

    def to_representation(self, instance: Participation) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.round.study.anonymity == Study.Anonymity.STRICT:
            data.update(dict.fromkeys(STRICT_HIDDEN))
        return data

    round = serializers.UUIDField(source="round.uuid", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    expert = serializers.UUIDField(source="expert.uuid", read_only=True)
    pseudonym = serializers.CharField(source="expert.pseudonym", read_only=True, allow_null=True)
    opened_on = UtcDayField(source="opened_at", read_only=True, allow_null=True)
    started_on = UtcDayField(source="started_at", read_only=True, allow_null=True)
    submitted_on = UtcDayField(source="submitted_at", read_only=True, allow_null=True)
    last_reminded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reminder_count = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Participation
        fields = [
            "round",
            "round_number",
            "expert",
            "pseudonym",
            "invited_at",
            "opened_on",
            "started_on",
            "submitted_on",
            "last_reminded_at",
            "reminder_count",
        ]
