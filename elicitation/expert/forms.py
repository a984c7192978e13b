"""What the expert's round form shows, loaded in a fixed number of queries, and how its fields are named.

Field names: ``r-<area id>-<criterion id>`` (a scale value or ``cj`` for "cannot judge"),
``confidence-<area id>`` (1–5), ``rationale-<area id>``, and the statements on an item:
``dissent-<area id>-<criterion id>`` and ``reason-<area id>-<criterion id>`` (why a rating moved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import QueryDict

from analysis.disclosure import dissent_disclosed
from elicitation.expert.selectors import (
    ItemFeedback,
    PanelRationale,
    RoundFeedback,
    feedback_visible,
    round_feedback,
)
from elicitation.expert.services.answers import CONFIDENCE_MAX, CONFIDENCE_MIN, KEEP, AnswerInput, Keep
from elicitation.models import (
    AreaResponse,
    AreaRevision,
    Expert,
    ItemStatement,
    Participation,
    Rating,
    Round,
    RoundItem,
    StatementKind,
    Suggestion,
)
from elicitation.models.answers import RATIONALE_MAX_LENGTH, SUGGESTION_MAX_LENGTH
from elicitation.models.statements import STATEMENT_MAX_LENGTH
from elicitation.rounds.dissent import rating_dissent_counts
from elicitation.rounds.selectors import area_revisions_for_round, earlier_rationales

CANNOT_JUDGE_VALUE = "cj"
_RATING_FIELD = re.compile(r"^r-(\d{1,18})-(\d{1,18})$")
_AREA_FIELD = re.compile(r"^(confidence|rationale)-(\d{1,18})$")
_STATEMENT_FIELD = re.compile(r"^(dissent|reason)-(\d{1,18})-(\d{1,18})$")
STATEMENT_KINDS = {"dissent": StatementKind.DISSENT, "reason": StatementKind.CHANGE_REASON}


def rating_field(area_id: int, criterion_id: int) -> str:
    return f"r-{area_id}-{criterion_id}"


@dataclass
class ItemRow:
    item: RoundItem
    title: str
    description: str
    label_min: str = ""
    label_max: str = ""
    value: int | None = None
    cannot_judge: bool = False
    feedback: ItemFeedback | None = None
    feedback_shown: bool = False
    errors: list[str] = field(default_factory=list)
    dissent: str = ""  # the expert's own statement of dissent in this round
    reason: str = ""  # the expert's reason for a changed rating
    previous_value: int | None = None  # their rating in their previous round, where the form may ask why it moved
    reason_threshold: int | None = None
    # Dissent in the feedback's round: a count (k or more), None (1 to k - 1: "recorded"), 0 (none).
    panel_dissent: int | None = 0
    statement_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def field_name(self) -> str:
        return rating_field(self.item.area_id, self.item.criterion_id)

    @property
    def dissent_field(self) -> str:
        return f"dissent-{self.item.area_id}-{self.item.criterion_id}"

    @property
    def reason_field(self) -> str:
        return f"reason-{self.item.area_id}-{self.item.criterion_id}"

    @property
    def asks_reason(self) -> bool:
        """The rating moved by more than the study's threshold since the expert's previous round."""
        if self.previous_value is None or self.value is None or self.reason_threshold is None:
            return False
        return abs(self.value - self.previous_value) > self.reason_threshold

    @property
    def dom_id(self) -> str:
        return f"item-{self.item.area_id}-{self.item.criterion_id}"

    @property
    def answered(self) -> bool:
        return self.value is not None or self.cannot_judge

    @property
    def scale(self) -> range:
        return self.item.criterion.scale_values()


@dataclass
class AreaCard:
    area_id: int
    code: str
    title: str
    description: str
    revision: AreaRevision | None  # the wording in the expert's language before this round, if it changed
    items: list[ItemRow] = field(default_factory=list)
    confidence: int | None = None
    rationale: str = ""
    rationale_carried: int | None = None  # the round the rationale was carried over from, not yet saved here
    rationales: list[PanelRationale] = field(default_factory=list)
    rationales_suppressed: bool = False
    show_rationales: bool = False  # "after own" timing: once every criterion of the area is rated
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def dom_id(self) -> str:
        return f"area-{self.area_id}"


@dataclass
class RoundForm:
    round: Round
    expert: Expert
    cards: list[AreaCard]
    feedback: RoundFeedback
    participation: Participation | None
    suggestions: list[Suggestion]
    confidence_scale: range = range(CONFIDENCE_MIN, CONFIDENCE_MAX + 1)
    rationale_max_length: int = RATIONALE_MAX_LENGTH
    suggestion_max_length: int = SUGGESTION_MAX_LENGTH
    statement_max_length: int = STATEMENT_MAX_LENGTH

    @property
    def rows(self) -> list[ItemRow]:
        return [row for card in self.cards for row in card.items]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def answered(self) -> int:
        return sum(row.answered for row in self.rows)

    @property
    def takes_suggestions(self) -> bool:
        return self.round.number == 1 and self.round.study.suggestions_enabled

    def row(self, area_id: int, criterion_id: int) -> ItemRow | None:
        return next((r for r in self.rows if (r.item.area_id, r.item.criterion_id) == (area_id, criterion_id)), None)

    def card(self, area_id: int) -> AreaCard | None:
        return next((card for card in self.cards if card.area_id == area_id), None)


def active_items(round_: Round) -> list[RoundItem]:
    return list(
        RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True)
        .select_related("area", "criterion")
        .order_by("area__order", "area_id", "criterion__order", "criterion_id")
    )


def round_form(*, expert: Expert, round_: Round) -> RoundForm:
    """Everything the form shows for ``expert`` in ``round_``: a fixed number of queries at any size."""
    language = expert.language
    items = active_items(round_)
    previous = area_revisions_for_round(round_, language=language)
    ratings = {(r.area_id, r.criterion_id): r for r in Rating.objects.filter(round=round_, expert=expert).order_by()}
    responses = {r.area_id: r for r in AreaResponse.objects.filter(round=round_, expert=expert).order_by()}
    participation = Participation.objects.filter(round=round_, expert=expert).first()
    carried = earlier_rationales(expert=expert, round_=round_)
    suggestions: list[Suggestion] = []
    if round_.number == 1 and round_.study.suggestions_enabled:
        suggestions = list(Suggestion.objects.filter(round=round_, expert=expert))
    feedback = round_feedback(
        round_=round_,
        expert=expert,
        items=[((i.area_id, i.criterion_id), i.criterion.scale_min, i.criterion.scale_max) for i in items],
    )
    statements = {
        (s.kind, s.area_id, s.criterion_id): s.text
        for s in ItemStatement.objects.filter(round=round_, expert=expert, question__isnull=True).order_by()
    }
    threshold = round_.study.change_reason_threshold
    previous_values: dict[tuple[int, int], int] = {}
    if threshold is not None and round_.number > 1:
        earlier = Rating.objects.filter(
            round__study_id=round_.study_id, round__number=round_.number - 1, expert=expert, value__isnull=False
        )
        previous_values = {
            (a, c): v for a, c, v in earlier.values_list("area_id", "criterion_id", "value") if v is not None
        }
    dissent_counts: dict[tuple[int, int, int], int] = {}
    # Only a closed round's dissent: in real-time feedback a mark appearing between two views would tell
    # that one more expert dissented since (no difference between two views may reveal fewer than k people).
    if feedback.source is not None and not feedback.live:
        dissent_counts = rating_dissent_counts([feedback.source.pk])

    cards: dict[int, AreaCard] = {}
    for item in items:
        card = cards.get(item.area_id)
        if card is None:
            text = item.area.localized(language)
            response = responses.get(item.area_id)
            card = cards[item.area_id] = AreaCard(
                area_id=item.area_id,
                code=item.area.code,
                title=text["title"],
                description=text["description"],
                revision=previous.get(item.area_id),
                confidence=response.confidence if response else None,
                rationale=response.rationale if response else carried.get(item.area_id, ""),
                rationale_carried=round_.number - 1 if response is None and item.area_id in carried else None,
                rationales=feedback.rationales.get(item.area_id, []),
                rationales_suppressed=item.area_id in feedback.rationales_suppressed,
            )
        text = item.criterion.localized(language)
        rating = ratings.get((item.area_id, item.criterion_id))
        row = ItemRow(
            item=item,
            title=text["title"],
            description=text["description"],
            label_min=text["label_min"],
            label_max=text["label_max"],
            value=rating.value if rating else None,
            cannot_judge=rating.cannot_judge if rating else False,
            feedback=feedback.items.get((item.area_id, item.criterion_id)),
            dissent=statements.get((StatementKind.DISSENT, item.area_id, item.criterion_id), ""),
            reason=statements.get((StatementKind.CHANGE_REASON, item.area_id, item.criterion_id), ""),
            previous_value=previous_values.get((item.area_id, item.criterion_id)),
            reason_threshold=threshold,
        )
        if feedback.source is not None:
            dissenters = dissent_counts.get((feedback.source.pk, item.area_id, item.criterion_id), 0)
            row.panel_dissent = dissent_disclosed(dissenters, k=round_.study.min_group_size)
        row.feedback_shown = row.feedback is not None and feedback_visible(study=round_.study, rated_now=row.answered)
        card.items.append(row)
    for card in cards.values():
        card.show_rationales = feedback_visible(study=round_.study, rated_now=all(r.answered for r in card.items))
    return RoundForm(
        round=round_,
        expert=expert,
        cards=list(cards.values()),
        feedback=feedback,
        participation=participation,
        suggestions=suggestions,
    )


@dataclass
class PostedAnswers:
    """The answer fields of a POST, parsed; ``errors`` maps field names to messages."""

    answers: list[AnswerInput] = field(default_factory=list)
    areas: dict[int, dict[str, int | str | Keep | None]] = field(default_factory=dict)
    # (field name, kind, area id, criterion id, text)
    statements: list[tuple[str, str, int, int, str]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse_answers(data: QueryDict, *, not_a_number: str) -> PostedAnswers:
    """Read rating, confidence, rationale and statement fields; fields not sent are left unchanged."""
    posted = PostedAnswers()
    for name in data:
        value = data.get(name, "")
        if match := _RATING_FIELD.match(name):
            area_id, criterion_id = int(match[1]), int(match[2])
            if value == CANNOT_JUDGE_VALUE:
                posted.answers.append(AnswerInput(area_id, criterion_id, None, cannot_judge=True))
            elif re.fullmatch(r"-?\d{1,4}", value or ""):
                posted.answers.append(AnswerInput(area_id, criterion_id, int(value)))
            else:
                posted.errors[name] = [not_a_number]
        elif match := _AREA_FIELD.match(name):
            kind, area_id = match[1], int(match[2])
            area = posted.areas.setdefault(area_id, {"confidence": KEEP, "rationale": KEEP})
            if kind == "rationale":
                area["rationale"] = value
            elif value == "":
                area["confidence"] = None
            elif re.fullmatch(r"\d{1,4}", value):
                area["confidence"] = int(value)
            else:
                posted.errors[name] = [not_a_number]
        elif match := _STATEMENT_FIELD.match(name):
            posted.statements.append((name, STATEMENT_KINDS[match[1]], int(match[2]), int(match[3]), value))
    return posted


def apply_posted(form: RoundForm, posted: PostedAnswers) -> None:
    """Show what was sent (not what is stored) when the form comes back with errors."""
    for answer in posted.answers:
        row = form.row(answer.area_id, answer.criterion_id)
        if row is not None:
            row.value, row.cannot_judge = answer.value, answer.cannot_judge
    for _name, kind, area_id, criterion_id, text in posted.statements:
        row = form.row(area_id, criterion_id)
        if row is not None:
            setattr(row, "dissent" if kind == StatementKind.DISSENT else "reason", text)
    for area_id, values in posted.areas.items():
        card = form.card(area_id)
        if card is None:
            continue
        if isinstance(values["rationale"], str):
            card.rationale = values["rationale"]
        if values["confidence"] is None or isinstance(values["confidence"], int):
            card.confidence = values["confidence"]
