"""The expert's form as a coordinator tries it: a preview in any of the study's languages, or a pilot run.

The form is the expert's own template, filled for a stand-in expert who has answered nothing (never
saved: its id 0 matches no row). In preview mode a submitted form is checked as an expert's would be
and thrown away: nothing stored, nothing audited. In pilot mode the answers are kept apart as pilot
data (``elicitation.rounds.services.pilot``), never as ratings.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.expert.forms import PostedAnswers, RoundForm, apply_posted, parse_answers, round_form
from elicitation.expert.session import expert_context
from elicitation.models import Expert, Round, Study
from elicitation.rounds.selectors import round_of_study
from elicitation.rounds.services.pilot import PilotAnswer, pilot_check, pilot_record
from elicitation.setup.services.translations import language_name

PREVIEW, PILOT = "preview", "pilot"


def stand_in_expert(study: Study, language: str) -> Expert:
    """An expert who has answered nothing, reading ``language``; never saved (id 0 matches no row)."""
    bloc = study.blocs[0] if study.blocs else ""
    return Expert(pk=0, study=study, number=0, email="", bloc=bloc, language=language, time_zone="")


def _language(request: HttpRequest, study: Study) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in (study.languages or []) else study.default_language


def _try_url(study: Study, round_: Round, *, language: str, mode: str) -> str:
    url = reverse("round-try", kwargs={"study_uuid": study.uuid, "round_uuid": round_.uuid})
    return f"{url}?{urlencode({'language': language, 'mode': mode})}"


def _pilot_answers(posted: PostedAnswers) -> tuple[list[PilotAnswer], dict[int, dict[str, Any]]]:
    answers = [PilotAnswer(a.area_id, a.criterion_id, a.value, a.cannot_judge) for a in posted.answers]
    areas = {
        area_id: {name: value for name, value in values.items() if isinstance(value, int | str) or value is None}
        for area_id, values in posted.areas.items()
    }
    return answers, areas


def _attach_errors(form: RoundForm, errors: dict[str, list[str]]) -> None:
    for row in form.rows:
        row.errors = errors.get(row.field_name, [])
    for card in form.cards:
        names = {kind: f"{kind}-{card.area_id}" for kind in ("confidence", "rationale")}
        card.errors = {kind: errors[name] for kind, name in names.items() if name in errors}


@login_required
@require_http_methods(["GET", "POST"])
def round_try(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study, round_uuid)
    round_.study = study
    language = _language(request, study)
    mode = PILOT if request.GET.get("mode") == PILOT else PREVIEW
    expert = stand_in_expert(study, language)
    status, error, outcome = 200, "", ""
    own_language = translation.get_language()  # the coordinator's, for what the page says to them
    with translation.override(language):
        form = round_form(expert=expert, round_=round_)
        if request.method == "POST":
            posted = parse_answers(request.POST, not_a_number=_("Not a valid choice."))
            answers, areas = _pilot_answers(posted)
            apply_posted(form, posted)
            _stored, _notes, errors = pilot_check(round=round_, answers=answers, areas=areas)
            errors = {**errors, **posted.errors}
            if not errors and mode == PILOT:
                try:
                    pilot_record(
                        round=round_,
                        user=request.user,
                        language=language,
                        answers=answers,
                        areas=areas,
                        tester_label=request.POST.get("tester_label", ""),
                        comment=request.POST.get("comment", ""),
                    )
                except ServiceError as refused:
                    errors, error = refused.field_errors, refused.message
                else:
                    with translation.override(own_language):
                        messages.success(request, _("Kept as pilot data, apart from the experts' answers."))
                    return redirect(_try_url(study, round_, language=language, mode=PILOT))
            if errors:
                _attach_errors(form, errors)
                status = 400
                error = error or _("Some answers would not be accepted. Nothing was saved.")
            else:
                with translation.override(own_language):
                    outcome = _("These answers would be accepted. This is a preview: nothing was saved.")
        context = expert_context(
            expert,
            form=form,
            round=round_,
            error=error,
            outcome=outcome,
            try_mode=mode,
            try_url=_try_url(study, round_, language=language, mode=mode),
            try_languages=[
                (code, language_name(code), _try_url(study, round_, language=code, mode=mode))
                for code in study.languages or []
            ],
            other_mode_url=_try_url(study, round_, language=language, mode=PREVIEW if mode == PILOT else PILOT),
            round_message=(round_.messages or {}).get(language, ""),
            own_language=own_language,
        )
        return render(request, "elicitation/expert/round_try.html", context, status=status)
