"""The coordinator's rounds pages: list, detail with participation, transitions, invitations, reminders.

Every view fetches the study through ``study_for_coordinator`` (404 for anyone else) and
every change goes through a service; a refused change is shown with the service's status.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coopsurvey import jobs
from coopsurvey.jobs import QUEUE_DOWN
from core.access import study_for_coordinator
from core.errors import ServiceError
from core.middleware import TIME_ZONE_SESSION_KEY, known_zone
from elicitation.models import Expert, Round, Study
from elicitation.rounds.forms import DeadlineForm, ScheduleForm
from elicitation.rounds.selectors import experts_not_in_round, participations_of_round, round_of_study, rounds_for_study
from elicitation.rounds.services import invitations, lifecycle
from elicitation.setup.services.translations import language_name


def detail_url(round_: Round) -> str:
    return reverse("round-detail", kwargs={"study_uuid": round_.study.uuid, "round_uuid": round_.uuid})


def see_detail(round_: Round) -> HttpResponseRedirect:
    return HttpResponseRedirect(detail_url(round_), status=303)


def refused(request: HttpRequest, study: Study, error: ServiceError, *, back: str) -> HttpResponse:
    """The page for a change the domain refused: the service's message, with its status (400 or 409)."""
    context = {"study": study, "message": error.message, "field_errors": error.field_errors, "back": back}
    return render(request, "elicitation/rounds/refused.html", context, status=error.status_code)


@login_required
@require_GET
def round_list(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_rows = list(rounds_for_study(study_obj))
    unfinished = next((r for r in round_rows if r.status != Round.Status.CLOSED), None)
    ended = not any(r.status == Round.Status.OPEN for r in round_rows) and any(
        r.status == Round.Status.CLOSED for r in round_rows
    )
    # A study has ended when no round is open and one has closed: its results summary can go to the experts.
    context = {"study": study_obj, "rounds": round_rows, "can_create": unfinished is None, "can_summarise": ended}
    return render(request, "elicitation/rounds/list.html", context)


@login_required
@require_POST
def round_create(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    try:
        round_ = lifecycle.round_create(study=study_obj, user=request.user)
    except ServiceError as error:
        return refused(request, study_obj, error, back=reverse("round-list", kwargs={"study_uuid": study_uuid}))
    messages.success(request, _("Round %(number)s created as a draft.") % {"number": round_.number})
    return see_detail(round_)


def render_detail(
    request: HttpRequest, study: Study, round_: Round, *, deadline_form: DeadlineForm | None = None, status: int = 200
) -> HttpResponse:
    participations = participations_of_round(round_)
    strict = study.anonymity == Study.Anonymity.STRICT
    written = round_.messages or {}
    context = {
        "study": study,
        "round": round_,
        "message_languages": [
            {
                "code": code,
                "name": language_name(code),
                "text": written.get(code, ""),
                "missing": bool(written) and not written.get(code),
            }
            for code in study.languages or []
        ],
        # Strict anonymity: counts only. Who started or submitted when could be matched against the moment
        # a result changed (and reminders go only to those who have not submitted).
        "participations": [] if strict else participations,
        "strict": strict,
        "deadline_form": deadline_form or DeadlineForm(initial={"deadline": round_.deadline}),
        "schedule_form": ScheduleForm(
            initial={"opens_at": round_.scheduled_open_at, "scheduled_deadline": round_.scheduled_deadline}
        ),
        "schedule_zone": timezone.get_current_timezone_name(),
        "show_names": study.anonymity == Study.Anonymity.STANDARD,
        "counts": {
            "experts": len(participations),
            "invited": sum(p.invited_at is not None for p in participations),
            "opened": sum(p.opened_at is not None for p in participations),
            "started": sum(p.started_at is not None for p in participations),
            "submitted": sum(p.submitted_at is not None for p in participations),
        },
        "reminder_start": invitations.reminder_window_start(round_) if round_.is_open else None,
        "not_yet_included": experts_not_in_round(round_) if round_.is_open else 0,
    }
    return render(request, "elicitation/rounds/detail.html", context, status=status)


@login_required
@require_GET
def round_detail(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    return render_detail(request, study_obj, round_of_study(study_obj, round_uuid))


def _deadline_action(
    request: HttpRequest, study_uuid: UUID, round_uuid: UUID, change: Callable[..., object], done: str
) -> HttpResponse:
    """Open a round or move its deadline: the same form, the same refusals."""
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    zone = known_zone(request.POST.get("time_zone")) or timezone.get_current_timezone()
    if known_zone(request.POST.get("time_zone")) is not None:
        request.session[TIME_ZONE_SESSION_KEY] = request.POST["time_zone"]  # their zone for the pages that follow
    with timezone.override(zone):  # the typed date and time are read in the coordinator's zone
        form = DeadlineForm(request.POST)
        if not form.is_valid():
            return render_detail(request, study_obj, round_, deadline_form=form, status=400)
    try:
        change(round=round_, user=request.user, deadline=form.cleaned_data["deadline"])
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    messages.success(request, done % {"number": round_.number})
    return see_detail(round_)


@login_required
@require_POST
def round_open(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    done = _("Round %(number)s is open. Send the invitations next.")
    return _deadline_action(request, study_uuid, round_uuid, lifecycle.round_open, done)


@login_required
@require_POST
def round_deadline(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    return _deadline_action(
        request, study_uuid, round_uuid, lifecycle.round_set_deadline, _("The deadline was changed.")
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_close(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    """GET asks for confirmation; POST closes the round."""
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    if request.method == "GET":
        pending = round_.participations.filter(submitted_at__isnull=True, invited_at__isnull=False).count()
        context = {"study": study_obj, "round": round_, "pending": pending}
        return render(request, "elicitation/rounds/close_confirm.html", context)
    try:
        lifecycle.round_close(round=round_, user=request.user)
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    messages.success(
        request, _("Round %(number)s is closed; its results are being computed.") % {"number": round_.number}
    )
    return see_detail(round_)


@login_required
@require_POST
def round_invite(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    """Invite every expert not yet invited; with ``expert`` (a UUID), re-send to that one expert by hand."""
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    expert_uuid = request.POST.get("expert", "")
    expert_ids: list[int] | None = None
    if expert_uuid:
        try:
            expert = get_object_or_404(Expert, study=study_obj, uuid=UUID(expert_uuid))
        except ValueError:
            return refused(
                request, study_obj, ServiceError(_("That expert was not recognised.")), back=detail_url(round_)
            )
        expert_ids = [expert.pk]
    try:
        with jobs.watching_sends() as unsent:
            count = invitations.invitations_send(
                round=round_, user=request.user, expert_ids=expert_ids, resend=expert_ids is not None
            )
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    if unsent:
        messages.warning(request, QUEUE_DOWN)
    elif count:
        sent = ngettext("%(count)s invitation is being sent.", "%(count)s invitations are being sent.", count)
        messages.success(request, sent % {"count": count})
    else:
        messages.info(request, _("Every expert has already been invited."))
    return see_detail(round_)


@login_required
@require_POST
def round_remind(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    try:
        with jobs.watching_sends() as unsent:
            count = invitations.reminders_send(round=round_, user=request.user)
    except ServiceError as error:
        return refused(request, study_obj, error, back=detail_url(round_))
    if unsent:
        messages.warning(request, QUEUE_DOWN)
    elif count:
        sent = ngettext("%(count)s reminder is being sent.", "%(count)s reminders are being sent.", count)
        messages.success(request, sent % {"count": count})
    else:
        messages.info(request, _("Nobody to remind: everyone invited has submitted or was reminded recently."))
    return see_detail(round_)
