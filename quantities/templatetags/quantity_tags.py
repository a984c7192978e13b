"""``{% quantity_questions %}``: the quantity questions of the expert's round form (a separate include);
``{% quantity_report %}``: the quantities section of the coordinator's printable report."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from quantities.expert.form import question_blocks
from quantities.results.selectors import SCATTER, WIDTH, round_quantities
from quantities.services import format_of

register = template.Library()


@register.inclusion_tag("quantities/expert/_questions.html", takes_context=True)
def quantity_questions(context: template.Context) -> dict[str, Any]:
    expert, round_ = context.get("expert"), context.get("round")
    blocks, form = [], None
    if expert is not None and round_ is not None:
        blocks = question_blocks(expert=expert, round_=round_, language=translation.get_language())
        form = format_of(expert.study) if blocks else None
    return {
        "blocks": blocks,
        "format": form,
        "round": round_,
        "study": context.get("study"),
        "csrf_token": context.get("csrf_token"),
        # A coordinator trying the form (preview or pilot): the expert's endpoints would refuse them.
        "preview": bool(context.get("try_mode")),
    }


@register.inclusion_tag("quantities/_report_section.html", takes_context=True)
def quantity_report(context: template.Context) -> dict[str, Any]:
    """The printable report's quantities section for the chosen round: nothing when the study asks none."""
    study, round_ = context.get("study"), context.get("round")
    data = round_quantities(study, round_) if study is not None and round_ is not None else None
    return {
        "study": study,
        "round": round_,
        "data": data,
        "shown": data is not None and (data.questions or data.performance or _asks_quantities(study)),
        "width": WIDTH,
        "scatter_size": SCATTER,
    }


def _asks_quantities(study: Any) -> bool:
    return bool(study.quantity_questions.exists())
