"""Setting a draft round to open at a time, and cancelling that (``services.scheduling``)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import study_for_coordinator
from core.errors import InvalidInput, ServiceError
from core.middleware import TIME_ZONE_SESSION_KEY, known_zone
from elicitation.rounds.forms import ScheduleForm
from elicitation.rounds.selectors import round_of_study
from elicitation.rounds.services import scheduling
from elicitation.rounds.views.lifecycle import detail_url, refused, see_detail


@login_required
@require_POST
def round_schedule(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    chosen = request.POST.get(f"{ScheduleForm.prefix}-time_zone")
    zone = known_zone(chosen) or timezone.get_current_timezone()
    if known_zone(chosen) is not None:
        request.session[TIME_ZONE_SESSION_KEY] = chosen  # their zone for the pages that follow
    with timezone.override(zone):  # the typed times are read in the coordinator's zone
        form = ScheduleForm(request.POST)
        valid = form.is_valid()
    if not valid:
        errors = {name: [str(e) for e in problems] for name, problems in form.errors.items()}
        error = InvalidInput(_("The round was not scheduled."), field_errors=errors)
        return refused(request, study_obj, error, back=detail_url(round_))
    try:
        scheduling.round_schedule(
            round=round_,
            user=request.user,
            opens_at=form.cleaned_data["opens_at"],
            deadline=form.cleaned_data["scheduled_deadline"],
        )
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    messages.success(
        request,
        _("Round %(number)s will open by itself at the set time; the invitations go out then.")
        % {"number": round_.number},
    )
    return see_detail(round_)


@login_required
@require_POST
def round_unschedule(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    try:
        scheduling.round_unschedule(round=round_, user=request.user)
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    messages.success(
        request, _("The schedule was cancelled; round %(number)s opens only by hand.") % {"number": round_.number}
    )
    return see_detail(round_)
