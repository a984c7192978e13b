"""Input serializers of the API's writes: the shape of a request body only; the rules live in the services.

Every input refuses keys it does not know (:class:`StrictInput`): a misspelt field is a 400 naming it, never
silently dropped (a client that sends ``"dead_line"`` must not believe the deadline was set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from elicitation.models import ConsensusRule, Criterion, Study

MAX_TEXT = 20_000  # longer than any text field the services accept: they give the precise limit
MAX_LIST = 2000  # more items, experts or groups than any study has
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # an area's code (elicitation.setup.services.items)


class StrictInput(serializers.Serializer[dict[str, Any]]):
    """A body (or nested object) with a key this serializer does not declare is refused: 400, the key named.

    A JSON value of the wrong type is refused too, where DRF would convert it: ``{"name": 5}`` is not the
    text "5", ``{"consent": 1}`` not true, ``{"order": "3"}`` not 3 (the schema promises these types); and a
    text longer than its ``maxLength`` before DRF trims its whitespace.
    """

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields or self.fields[key].read_only)
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
            # A form's values are all text: only JSON has types, but both can send a text too long.
            check = _too_long if isinstance(data, QueryDict) else _type_error
            wrong = {key: [message] for key, value in data.items() if (message := check(self.fields[key], value))}
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


def _too_long(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str:
    """Checked on the text as sent: DRF trims whitespace first, so 20,001 spaces would pass a limit of 20,000
    that the schema's maxLength (which counts every character) promises to refuse."""
    limit = field.max_length if isinstance(field, serializers.CharField) else None
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return str(field.error_messages["max_length"]).format(max_length=limit)
    return ""


def _type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str:
    """Why ``value`` is not of the JSON type ``field`` takes; "" when it is."""
    if value is None:
        return ""
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return _("Give true or false.")
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return _("Give a text.")
    if too_long := _too_long(field, value):
        return too_long
    if isinstance(field, serializers.IntegerField) and (isinstance(value, bool) or not isinstance(value, int)):
        return _("Give a whole number.")
    if isinstance(field, serializers.DecimalField) and (
        isinstance(value, bool) or not isinstance(value, int | float | str)
    ):
        return _("Give a number.")
    return ""


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "format": "decimal"}]})
class NumberField(serializers.DecimalField):
    """A decimal given as a JSON number or as its text ("1.5"): both are exact enough for a rule's parts."""


def _translations() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=MAX_TEXT)),
        required=False,
        help_text='Other languages\' texts: {language: {key: text}}, e.g. {"zh-hans": {"title": "…"}}.',
    )


def _text(*, required: bool = False, max_length: int = MAX_TEXT) -> serializers.CharField:
    return serializers.CharField(required=required, allow_blank=not required, max_length=max_length)


class StudyCreateInput(StrictInput):
    title = serializers.CharField(max_length=MAX_TEXT)
    template = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="A study template's key; empty for a blank study."
    )
    question = _text()
    introduction = _text()


def _group_names() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=MAX_TEXT), required=False, max_length=MAX_LIST)


class StudySettingsInput(StrictInput):
    """The study's settings (PATCH: only the keys given change). ``reason``: why a planned setting changed
    after the analysis plan was frozen (required then)."""

    title = serializers.CharField(required=False, max_length=MAX_TEXT)
    question = _text()
    introduction = _text()
    consent_text = _text()
    ethics_approval = _text()
    contact = _text()
    data_controller = _text()
    translations = _translations()
    sender_name = _text()
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)
    quantile_method = serializers.ChoiceField(choices=Study.QuantileMethod.choices, required=False)
    min_group_size = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    anonymity = serializers.ChoiceField(choices=Study.Anonymity.choices, required=False)
    mode = serializers.ChoiceField(choices=Study.Mode.choices, required=False)
    feedback_timing = serializers.ChoiceField(choices=Study.FeedbackTiming.choices, required=False)
    feedback_by_bloc = serializers.BooleanField(required=False)
    default_language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=settings.LANGUAGES), required=False, max_length=20
    )
    blocs = _group_names()
    sectors = _group_names()
    suggestions_enabled = serializers.BooleanField(required=False)
    reminder_hours_before_deadline = serializers.IntegerField(required=False, min_value=0, max_value=32767)
    single_use_links = serializers.BooleanField(required=False)
    benefit_threshold = NumberField(max_digits=4, decimal_places=1, required=False)
    risk_low_threshold = NumberField(max_digits=4, decimal_places=1, required=False)
    risk_safeguard_threshold = NumberField(max_digits=4, decimal_places=1, required=False)
    risk_avoid_threshold = NumberField(max_digits=4, decimal_places=1, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)


class AreaInput(StrictInput):
    """An area. On create ``study``, ``code`` and ``title`` are required; on PATCH every key is optional."""

    study = serializers.UUIDField(help_text="The study (create only).")
    code = serializers.CharField(max_length=MAX_TEXT)
    title = serializers.CharField(max_length=MAX_TEXT)
    description = _text()
    order = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_147_483_647)
    is_active = serializers.BooleanField(required=False)
    translations = _translations()


class AreaUpdateInput(AreaInput):
    study = None  # type: ignore[assignment]  # an area stays in its study
    code = serializers.CharField(max_length=MAX_TEXT, required=False)
    title = serializers.CharField(max_length=MAX_TEXT, required=False)


class CriterionInput(StrictInput):
    study = serializers.UUIDField(help_text="The study (create only).")
    code = serializers.CharField(max_length=MAX_TEXT)
    title = serializers.CharField(max_length=MAX_TEXT)
    kind = serializers.ChoiceField(choices=Criterion.Kind.choices)
    description = _text()
    scale_min = serializers.IntegerField(required=False, min_value=0, max_value=100)
    scale_max = serializers.IntegerField(required=False, min_value=0, max_value=100)
    label_min = _text()
    label_max = _text()
    allow_cannot_judge = serializers.BooleanField(required=False)
    order = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_147_483_647)
    is_active = serializers.BooleanField(required=False)
    translations = _translations()


class CriterionUpdateInput(CriterionInput):
    study = None  # type: ignore[assignment]
    code = serializers.CharField(max_length=MAX_TEXT, required=False)
    title = serializers.CharField(max_length=MAX_TEXT, required=False)
    kind = serializers.ChoiceField(choices=Criterion.Kind.choices, required=False)


class ExpertInput(StrictInput):
    """A panel member: ``bloc``, ``sector`` and ``language`` must be among the study's."""

    study = serializers.UUIDField(help_text="The study (create only).")
    email = serializers.CharField(max_length=MAX_TEXT)
    name = _text()
    bloc = serializers.CharField(max_length=MAX_TEXT)
    sector = _text()
    language = _text(max_length=20)
    time_zone = _text(max_length=100)
    expertise = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5),
        required=False,
        help_text="Self-rated expertise per area code, 1 to 5.",
    )

    def validate_expertise(self, value: dict[str, int]) -> dict[str, int]:
        bad = [code for code in value if not CODE.fullmatch(code)]
        if bad:
            raise serializers.ValidationError(_("Name areas by their codes (letters, digits, - and _)."))
        return value


class ExpertUpdateInput(ExpertInput):
    study = None  # type: ignore[assignment]
    email = serializers.CharField(max_length=MAX_TEXT, required=False)
    bloc = serializers.CharField(max_length=MAX_TEXT, required=False)


class ItemInput(StrictInput):
    """One item, its area and criterion each named by code or UUID."""

    area = serializers.CharField(max_length=100, help_text="The area's code (or, deprecated, its UUID).")
    criterion = serializers.CharField(max_length=100, help_text="The criterion's code (or, deprecated, its UUID).")


class RoundCreateInput(StrictInput):
    study = serializers.UUIDField()
    items = ItemInput(many=True, required=False, max_length=MAX_LIST)  # type: ignore[call-arg]  # DRF >= 3.14
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class RoundPlanInput(StrictInput):
    items = ItemInput(many=True, max_length=MAX_LIST, help_text="The items the next round asks.")  # type: ignore[call-arg]
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class InvitationsInput(StrictInput):
    experts = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MAX_LIST,
        help_text="Send again by hand to these experts; without it, invite everyone not invited yet.",
    )


class RemindersInput(StrictInput):
    pass


class ResultsSummaryInput(StrictInput):
    confirm = serializers.BooleanField(help_text="Must be true: the sending is explicit (read the GET preview first).")
    resend = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send again to everyone who took part, those who already received it included.",
    )

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("Confirm the sending with true."))
        return value


class TokenInput(StrictInput):
    name = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)


class SubmitInput(StrictInput):
    round = serializers.UUIDField(
        required=False, help_text="The round you submit; refused (409) if it is no longer open. Default: the open one."
    )


class ConsentInput(StrictInput):
    consent = serializers.BooleanField(help_text="true: you agree to the study's consent text (GET gives it).")

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("Consent is given with true; without it nothing is recorded."))
        return value


def _part() -> NumberField:
    return NumberField(max_digits=9, decimal_places=3, required=False, allow_null=True)


class RulePartsInput(StrictInput):
    """One set of parts, combined with AND; an empty part is not part of the rule."""

    max_iqr = _part()
    band = serializers.ChoiceField(choices=[("", "none"), *ConsensusRule.Band.choices], required=False)
    min_percent_in_band = _part()
    max_percent_opposite_band = _part()
    max_cv = _part()
    min_cns = _part()
    require_rand_agreement = serializers.BooleanField(required=False)


class RuleInput(RulePartsInput):
    """The whole consensus rule (PUT replaces it): its default parts, overrides per criterion kind or code,
    whose answers count and the divide threshold. ``reason``: required once the analysis plan is frozen."""

    parts_by_kind = serializers.DictField(child=RulePartsInput(), required=False)
    parts_by_criterion = serializers.DictField(child=RulePartsInput(), required=False)
    inclusion = serializers.ChoiceField(choices=ConsensusRule.Inclusion.choices, required=False)
    divide_threshold = _part()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)


# Between rounds (issue 20 item 10): the steps a coordinator takes on the moderation and planning pages.


class RationaleHideInput(StrictInput):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, help_text="Why (kept in the audit trail)."
    )


class RationaleUnhideInput(StrictInput):
    pass


class RationaleTranslationInput(StrictInput):
    translation = serializers.CharField(
        allow_blank=True, max_length=MAX_TEXT, help_text="The coordinators' translation; empty removes it."
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, help_text="One of the study's languages other than the original's."
    )


def _area_translations() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=MAX_TEXT)),
        required=False,
        help_text='Title and description in the study\'s other languages: {"zh-hans": {"title": "…", '
        '"description": "…"}}. A language left out keeps its wording.',
    )


class AreaRewordInput(StrictInput):
    title = serializers.CharField(max_length=MAX_TEXT, help_text="In the study's default language.")
    description = _text()
    translations = _area_translations()


class AreaAddInput(StrictInput):
    title = serializers.CharField(max_length=MAX_TEXT, help_text="In the study's default language.")
    description = _text()
    translations = _area_translations()
    suggestions = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MAX_LIST,
        help_text="The experts' suggestions (`studies/{uuid}/suggestions/`) this area comes from.",
    )


class RoundMessagesInput(StrictInput):
    messages = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=MAX_TEXT),
        help_text='The message per language, e.g. {"en": "…", "zh-hans": "…"} (PUT replaces them all; '
        "a language left out or empty has no message).",
    )


class RoundDeadlineInput(StrictInput):
    deadline = serializers.DateTimeField(help_text="The open round's new deadline, in the future.")


class ExpertEraseInput(StrictInput):
    confirm = serializers.CharField(
        max_length=MAX_TEXT,
        help_text="The expert's pseudonym (E-07), or in strict anonymity their email address: irreversible.",
    )


class SuggestionInput(StrictInput):
    text = serializers.CharField(max_length=MAX_TEXT, help_text="The area you propose (round 1 only).")
    round = serializers.UUIDField(required=False, help_text="The round; default: the open one.")
