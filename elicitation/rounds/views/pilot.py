"""Pilot data: the answers given while piloting a round's form, shown apart and deletable."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import study_for_coordinator
from elicitation.models import PilotResponse
from elicitation.rounds.selectors import pilot_table, round_of_study
from elicitation.rounds.services import pilot
from elicitation.setup.services.translations import language_name


@login_required
@require_GET
def pilot_data(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    context = {
        "study": study_obj,
        "round": round_,
        "table": pilot_table(round_),
        "languages": [(code, language_name(code)) for code in study_obj.languages or []],
    }
    return render(request, "elicitation/rounds/pilot.html", context)


@login_required
@require_POST
def pilot_delete(request: HttpRequest, study_uuid: UUID, round_uuid: UUID, pilot_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    response = get_object_or_404(PilotResponse, round=round_, uuid=pilot_uuid)
    pilot.pilot_delete(response=response, user=request.user)
    messages.success(request, _("The pilot answers were deleted."))
    return redirect("round-pilot", study_uuid=study_obj.uuid, round_uuid=round_.uuid)
