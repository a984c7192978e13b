"""Between rounds: choose the items of the next round, reword an area, add areas (also from suggestions)."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import IllegalTransition, ServiceError
from elicitation.models import Area, Round, Study
from elicitation.rounds.forms import AreaAddForm, AreaTextForm, ItemsForm
from elicitation.rounds.selectors import item_grid, round_of_study, suggestions_of_study
from elicitation.rounds.services import lifecycle, planning
from elicitation.rounds.views.lifecycle import detail_url, refused, see_detail
from elicitation.setup.services.translations import language_name, own_text, text_state


def plan_url(round_: Round) -> str:
    return reverse("round-plan", kwargs={"study_uuid": round_.study.uuid, "round_uuid": round_.uuid})


def suggestion_choices(study: Study) -> tuple[list, list[tuple[int, str]]]:
    suggestions = suggestions_of_study(study)
    return suggestions, [(s.pk, s.text[:80]) for s in suggestions]


def reword_rows(study: Study, *, grid_areas: list[Area]) -> list[dict[str, object]]:
    """Per area, its wording in every language the study offers, with each language's state (missing, stale)."""
    languages = [code for code, _name in settings.LANGUAGES if code in (study.languages or [])]
    rows = []
    for area in grid_areas:
        texts = []
        for code in languages:
            state = text_state(
                area, "title", code, default_language=study.default_language, languages=languages
            ) or text_state(area, "description", code, default_language=study.default_language, languages=languages)
            texts.append(
                {
                    "code": code,
                    "name": language_name(code),
                    "is_default": code == study.default_language,
                    "title": own_text(area, "title", code, study.default_language),
                    "description": own_text(area, "description", code, study.default_language),
                    "state": state,
                }
            )
        rows.append({"area": area, "texts": texts})
    return rows


def render_plan(
    request: HttpRequest,
    study: Study,
    round_: Round,
    *,
    chosen: set[tuple[int, int]],
    consensus: set[tuple[int, int]],
    target: Round | None,
    items_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    suggestions, choices = suggestion_choices(study)
    grid = item_grid(study, chosen=chosen, consensus=consensus)
    context = {
        "study": study,
        "round": round_,
        "target": target,
        "next_number": target.number if target else planning.next_round_number(study),
        "grid": grid,
        "consensus_known": bool(consensus),
        "items_errors": items_errors or [],
        "suggestions": suggestions,
        "add_form": AreaAddForm(study=study, suggestion_choices=choices),
        "reword_areas": reword_rows(study, grid_areas=grid.areas),
    }
    return render(request, "elicitation/rounds/plan.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def round_plan(request: HttpRequest, study_uuid: UUID, round_uuid: UUID) -> HttpResponse:
    """On a closed round: plan the next one. On a draft round: choose its items."""
    study_obj = study_for_coordinator(request.user, study_uuid)
    round_ = round_of_study(study_obj, round_uuid)
    if round_.status == Round.Status.OPEN:
        error = IllegalTransition(
            _("Round %(number)s is open; plan the next round after it closes.") % {"number": round_.number}
        )
        return refused(request, study_obj, error, back=detail_url(round_))
    if round_.status == Round.Status.DRAFT:
        target: Round | None = round_
        consensus: set[tuple[int, int]] = set()
    else:
        target = study_obj.rounds.filter(number=round_.number + 1, status=Round.Status.DRAFT).first()
        if target is not None:
            target.study = study_obj
        consensus = planning.items_reached_consensus(round_)
        if getattr(round_, "followed", False):
            error = IllegalTransition(
                _("Round %(number)s is already followed by a later round; plan from the latest round.")
                % {"number": round_.number}
            )
            return refused(request, study_obj, error, back=detail_url(round_))
    if target is not None:
        current = set(target.items.values_list("area_id", "criterion_id"))
    else:
        current = planning.preselect_continuing_items(round_, consensus)

    if request.method == "GET":
        return render_plan(request, study_obj, round_, chosen=current, consensus=consensus, target=target)

    form = ItemsForm(request.POST, allowed=lifecycle.study_items(study_obj))
    if not form.is_valid():
        return render_plan(
            request, study_obj, round_, chosen=current, consensus=consensus, target=target,
            items_errors=[str(e) for e in form.non_field_errors()], status=400,
        )  # fmt: skip
    items = form.cleaned_data["items"]
    try:
        if round_.status == Round.Status.DRAFT:
            saved = lifecycle.round_set_items(round=round_, items=items, user=request.user)
        else:
            saved = planning.round_plan_next(closed_round=round_, items=items, user=request.user)
    except ServiceError as error:
        return refused(request, study_obj, error, back=plan_url(round_))
    saved.study = study_obj
    count = len(items)
    asked = ngettext("Round %(number)s will ask %(count)s item.", "Round %(number)s will ask %(count)s items.", count)
    messages.success(request, asked % {"number": saved.number, "count": count})
    return see_detail(saved)


def back_to(request: HttpRequest, study: Study) -> str:
    """The plan page the form came from (a round of this study), else the rounds list."""
    round_uuid = request.POST.get("round", "")
    try:
        round_ = Round.objects.filter(study=study, uuid=UUID(round_uuid)).first()
    except ValueError:
        round_ = None
    if round_ is None:
        return reverse("round-list", kwargs={"study_uuid": study.uuid})
    round_.study = study
    return plan_url(round_)


@login_required
@require_POST
def area_reword(request: HttpRequest, study_uuid: UUID, area_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    area_obj = get_object_or_404(Area, study=study_obj, uuid=area_uuid)
    back = back_to(request, study_obj)
    form = AreaTextForm(request.POST, study=study_obj)
    if not form.is_valid():
        error = ServiceError(_("Please correct the marked fields."), field_errors=form.errors.get_json_data())
        return refused(request, study_obj, _plain_errors(error), back=back)
    try:
        revision = planning.area_reword(
            area=area_obj,
            user=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            translations=form.translations(),
        )
    except ServiceError as error:
        return refused(request, study_obj, error, back=back)
    messages.success(
        request,
        _("“%(title)s” reworded; experts see the change from round %(number)s.")
        % {"title": revision.new_title, "number": revision.round_number},
    )
    return HttpResponseRedirect(back, status=303)


@login_required
@require_POST
def area_add(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study_obj = study_for_coordinator(request.user, study_uuid)
    back = back_to(request, study_obj)
    _suggestions, choices = suggestion_choices(study_obj)
    form = AreaAddForm(request.POST, study=study_obj, suggestion_choices=choices)
    if not form.is_valid():
        error = ServiceError(_("Please correct the marked fields."), field_errors=form.errors.get_json_data())
        return refused(request, study_obj, _plain_errors(error), back=back)
    try:
        area_obj = planning.area_add(
            study=study_obj,
            user=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            suggestion_ids=form.cleaned_data["suggestions"],
            translations=form.translations(),
        )
    except ServiceError as error:
        return refused(request, study_obj, error, back=back)
    messages.success(request, _("Area “%(title)s” added.") % {"title": area_obj.title})
    return HttpResponseRedirect(back, status=303)


def _plain_errors(error: ServiceError) -> ServiceError:
    """Form errors as {field: [message, …]} like the services give them."""
    raw: dict = error.field_errors
    error.field_errors = {field: [str(e["message"]) for e in errs] for field, errs in raw.items()}
    return error
