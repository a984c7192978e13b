"""``{% quantity_questions %}``: the quantity questions of the expert's round form (a separate include)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from quantities.expert.form import question_blocks
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
    }
