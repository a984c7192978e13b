"""Moderation of a round's rationales: hide or show again, translate; nothing is deleted."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import AreaResponse, Study
from elicitation.rounds.forms import HideForm, TranslationForm
from elicitation.rounds.selectors import rationales_of_round, round_of_study
from elicitation.rounds.services.moderation import rationale_hide, rationale_translate, rationale_unhide
from elicitation.rounds.views.lifecycle import refused
from elicitation.setup.services.erasure import ERASED_TEXT


@login_required
@require_GET
def moderation(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    responses = rationales_of_round(round_)
    context = {
        "study": study_obj,
        "round": round_,
        "responses": responses,
        "hidden_count": sum(r.hidden_at is not None for r in responses),
        "show_pseudonyms": study_obj.anonymity == Study.Anonymity.STANDARD,
        "hide_form": HideForm(),
        "languages": study_obj.languages,
        "erased_text": ERASED_TEXT,
    }
    return render(request, "elicitation/rounds/moderation.html", context)


@login_required
@require_POST
def moderation_change(
    request: HttpRequest, study_uuid: UUID, round_uuid: UUID, response_id: int, action: str
) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    response_obj = get_object_or_404(AreaResponse, round=round_, pk=response_id)
    back = reverse("round-moderation", kwargs={"study_uuid": study_obj.uuid, "round_uuid": round_.uuid})
    try:
        if action == "hide":
            form = HideForm(request.POST)
            if not form.is_valid():
                raise ServiceError(_("Please correct the marked fields."), field_errors={"reason": [_("Too long.")]})
            rationale_hide(response=response_obj, user=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The rationale is hidden from feedback; it is kept."))
        else:
            rationale_unhide(response=response_obj, user=request.user)
            messages.success(request, _("The rationale is shown in feedback again."))
    except ServiceError as error:
        return refused(request, study_obj, error, back=back)
    return HttpResponseRedirect(f"{back}#response-{response_obj.pk}", status=303)


@login_required
@require_POST
def moderation_translate(request: HttpRequest, study_uuid: UUID, round_uuid: UUID, response_id: int) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    response_obj = get_object_or_404(AreaResponse, round=round_, pk=response_id)
    back = reverse("round-moderation", kwargs={"study_uuid": study_obj.uuid, "round_uuid": round_.uuid})
    form = TranslationForm(request.POST)
    try:
        if not form.is_valid():
            raise ServiceError(
                _("Please correct the marked fields."),
                field_errors={name: [str(error) for error in errors] for name, errors in form.errors.items()},
            )
        saved = rationale_translate(
            response=response_obj,
            user=request.user,
            text=form.cleaned_data["translation"],
            language=form.cleaned_data["language"],
        )
    except ServiceError as error:
        return refused(request, study_obj, error, back=back)
    if saved.translation:
        messages.success(request, _("The translation is saved; experts see it beside the original."))
    else:
        messages.success(request, _("The translation is removed; experts see the original only."))
    return HttpResponseRedirect(f"{back}#response-{saved.pk}", status=303)
