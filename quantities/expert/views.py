"""The expert's saves on one quantity question: the answer (htmx autosave, the question's block comes back, or a
plain POST) and their statement of dissent on it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import InvalidInput, RoundNotOpen
from elicitation.expert.services.statements import ItemRef, item_statement_save
from elicitation.expert.session import expert_context, expert_required
from elicitation.models import Expert, Round, StatementKind
from quantities.expert.form import answer_fields, posted_text, question_blocks
from quantities.models import QuantityFormat, QuantityQuestion
from quantities.services import format_of, quantity_answer_save
from quantities.validation import PostedAnswer, parse_number

RESULT = "quantities/expert/_result.html"


def _posted(data: dict[str, str], form: QuantityFormat) -> PostedAnswer:
    def number(key: str) -> float | None:
        return parse_number(next((value for name, value in data.items() if name.endswith(f"-{key}")), ""))

    if form.format == QuantityFormat.Format.IDEA:
        return PostedAnswer(
            lowest=number("lowest"), best=number("best"), highest=number("highest"), confidence=number("confidence")
        )
    return PostedAnswer(values=tuple(number(f"q{index}") for index in range(len(form.quantiles))))


@require_POST
@expert_required
def answer_save(request: HttpRequest, expert: Expert, round_uuid: str, question_uuid: str) -> HttpResponse:
    htmx = request.headers.get("HX-Request") == "true"
    if expert.consented_at is None:
        return redirect("expert-start") if not htmx else HttpResponse(status=403)
    round_ = get_object_or_404(Round, uuid=round_uuid, study_id=expert.study_id)
    round_.study = expert.study
    question = get_object_or_404(QuantityQuestion, uuid=question_uuid, study_id=expert.study_id, is_active=True)
    form = format_of(expert.study)
    typed = posted_text(request.POST, question, form)
    language = translation.get_language()
    status, error, errors = 200, "", {}
    if htmx and any(not text.strip() for text in typed.values()):
        # An autosave while the expert is still filling the parts in: nothing to save yet, nothing to refuse.
        block = question_blocks(expert=expert, round_=round_, language=language, only=[question])[0]
        block.fields = answer_fields(question, form, None, posted=typed)
        block.status = _("Not saved yet: fill in every part.")
        return render(request, RESULT, expert_context(expert, round=round_, block=block))
    try:
        quantity_answer_save(expert=expert, round_id=round_.pk, question_id=question.pk, posted=_posted(typed, form))
    except RoundNotOpen:
        status, error = 409, _("This round is closed. Your last change was not saved.")
    except InvalidInput as refused:
        status, error, errors = 400, _("Not saved: please correct the answer."), refused.field_errors
    if not htmx and status == 200:
        messages.success(request, _("Your answer is saved. You can change it until the round closes."))
        return redirect(reverse("expert-round") + f"#quantity-{question.uuid}")
    block = question_blocks(expert=expert, round_=round_, language=language, only=[question])[0]
    if status != 200:
        block.fields = answer_fields(question, form, None, posted=typed)
        for item in block.fields:
            item.error = " ".join(errors.get(item.name, []))
        block.error = error
    else:
        block.status = _("Saved.")
    if htmx:
        return render(request, RESULT, expert_context(expert, round=round_, block=block), status=status)
    context = expert_context(expert, round=round_, quantity_block=block)
    return render(request, "quantities/expert/answer_page.html", context, status=status)


@require_POST
@expert_required
def dissent_save(request: HttpRequest, expert: Expert, round_uuid: str, question_uuid: str) -> HttpResponse:
    """Record, change or withdraw (empty) the expert's dissent on one question; htmx gets the dissent part back."""
    htmx = request.headers.get("HX-Request") == "true"
    if expert.consented_at is None:
        return redirect("expert-start") if not htmx else HttpResponse(status=403)
    round_ = get_object_or_404(Round, uuid=round_uuid, study_id=expert.study_id)
    round_.study = expert.study
    question = get_object_or_404(QuantityQuestion, uuid=question_uuid, study_id=expert.study_id, is_active=True)
    text = request.POST.get("text", "")
    status, errors = 200, []
    try:
        item_statement_save(
            expert=expert,
            round_id=round_.pk,
            kind=StatementKind.DISSENT,
            item=ItemRef(question_id=question.pk),
            text=text,
        )
    except RoundNotOpen:
        status, errors = 409, [_("This round is closed. Your last change was not saved.")]
    except InvalidInput as refused:
        status, errors = 400, [problem for problems in refused.field_errors.values() for problem in problems]
    if not htmx and status == 200:
        messages.success(request, _("Your statement is saved. You can change or withdraw it until the round closes."))
        return redirect(reverse("expert-round") + f"#quantity-{question.uuid}")
    block = question_blocks(expert=expert, round_=round_, language=translation.get_language(), only=[question])[0]
    if errors:
        block.dissent, block.dissent_errors = text, errors
    else:
        block.dissent_status = _("Saved.")
    if htmx:
        return render(
            request, "quantities/expert/_dissent.html", expert_context(expert, round=round_, block=block), status=status
        )
    context = expert_context(expert, round=round_, quantity_block=block)
    return render(request, "quantities/expert/answer_page.html", context, status=status)
