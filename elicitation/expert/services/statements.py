"""Writing an expert's statements on an item: principled dissent, and the reason for a changed rating.

Under the open round's lock like every answer, so a statement either counts in the round or is refused
with ``RoundNotOpen``. Bad input raises ``InvalidInput`` with field errors and writes nothing. Every
create, change or withdrawal (an empty text) appends an ``ItemStatementRevision``; an unchanged
statement writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import InvalidInput
from elicitation.locks import lock_open_round
from elicitation.models import Expert, ItemStatement, ItemStatementRevision, Round, RoundItem, StatementKind
from elicitation.models.answers import AnswerRevision
from elicitation.models.statements import STATEMENT_MAX_LENGTH
from quantities.models import QuantityQuestion


@dataclass(frozen=True)
class ItemRef:
    """The item a statement is on: a rating item (area and criterion) or a quantity question."""

    area_id: int | None = None
    criterion_id: int | None = None
    question_id: int | None = None

    @property
    def is_question(self) -> bool:
        return self.question_id is not None


def _clean_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidInput(_("The statement must be text."), field_errors={"text": [_("Must be text.")]})
    text = text.strip()
    if "\x00" in text:
        raise InvalidInput(_("The statement contains a null character."), field_errors={"text": [_("Invalid.")]})
    if len(text) > STATEMENT_MAX_LENGTH:
        message = _("At most %(max)d characters.") % {"max": STATEMENT_MAX_LENGTH}
        raise InvalidInput(_("The statement is too long."), field_errors={"text": [message]})
    return text


def _item_problem(round_: Round, kind: str, item: ItemRef) -> str:
    """Why the item cannot carry this kind of statement in the round ("" if it can)."""
    if item.question_id is not None:
        if kind != StatementKind.DISSENT:
            return _("A reason for a change is asked only on rated items.")
        question = QuantityQuestion.objects.filter(id=item.question_id, study_id=round_.study_id, is_active=True)
        return "" if question.exists() else _("This question is not asked in this round.")
    if item.area_id is None or item.criterion_id is None:
        return _("Name the item.")
    asked = RoundItem.objects.filter(
        round=round_,
        area_id=item.area_id,
        criterion_id=item.criterion_id,
        area__is_active=True,
        criterion__is_active=True,
    )
    return "" if asked.exists() else _("This item is not asked in this round.")


def item_statement_save(
    *,
    expert: Expert,
    round_id: int,
    kind: str,
    item: ItemRef,
    text: object,
    source: str = AnswerRevision.Source.WEB,
) -> ItemStatement | None:
    """Record, change or withdraw (empty ``text``) the expert's statement of ``kind`` on ``item``.

    Returns the statement when it changed, None when nothing changed (or nothing was ever given).
    """
    if kind not in StatementKind.values:
        raise InvalidInput(_("Unknown kind of statement."), field_errors={"kind": [_("Unknown.")]})
    cleaned = _clean_text(text)
    with transaction.atomic():
        try:
            round_ = lock_open_round(round_id=round_id)
        except Round.DoesNotExist:
            raise InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]}) from None
        if round_.study_id != expert.study_id:
            raise InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]})
        if not Expert.objects.filter(pk=expert.pk, is_active=True, erased_at__isnull=True).exists():
            message = _("This panel membership is no longer active.")
            raise InvalidInput(message, field_errors={"expert": [_("Inactive.")]})
        if problem := _item_problem(round_, kind, item):
            raise InvalidInput(problem, field_errors={"item": [problem]})
        target = {"area_id": item.area_id, "criterion_id": item.criterion_id, "question_id": item.question_id}
        statement = (
            ItemStatement.objects.select_for_update().filter(round=round_, expert=expert, kind=kind, **target).first()
        )
        old_text = None if statement is None else statement.text
        if old_text == cleaned or (statement is None and not cleaned):
            return None
        if statement is None:
            statement = ItemStatement(round=round_, expert=expert, kind=kind, **target)
        statement.text = cleaned
        statement.language = expert.language if cleaned else ""
        statement.save()
        ItemStatementRevision.objects.create(
            round=round_, expert=expert, kind=kind, old_text=old_text, new_text=cleaned, source=source, **target
        )
        # That a statement changed, not its words: the history holds those, for the expert's own record.
        audit(
            action="statement.saved",
            study=expert.study,
            expert=expert,
            target=f"round {round_.number}",
            kind=kind,
            withdrawn=not cleaned,
            source=source,
        )
        return statement
