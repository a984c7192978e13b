"""The coordinator's pages for areas and criteria: list, create, edit, retire, CSV import."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Area, Criterion, Study
from elicitation.setup.forms import AreaForm, CriterionForm, ImportForm
from elicitation.setup.services import imports, items
from elicitation.setup.views.common import render_invalid, render_refused


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def items_list(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    # A grouped query drops the model's ordering: in the order experts see them.
    areas = study.areas.annotate(revision_count=Count("revisions")).order_by("order", "id")
    context = {"study": study, "areas": list(areas), "criteria": list(study.criteria.all())}
    return render(request, "elicitation/setup/items.html", context)


def _item_form_page(
    request: HttpRequest,
    study: Study,
    *,
    kind: str,
    instance: Area | Criterion | None,
) -> HttpResponse:
    template = "elicitation/setup/item_form.html"
    form_class = AreaForm if kind == "area" else CriterionForm
    form = form_class(request.POST or None, study=study, instance=instance)
    context: dict[str, Any] = {"study": study, "kind": kind, "item": instance}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    user = _user(request)
    try:
        if isinstance(instance, Area):
            items.area_update(area=instance, user=user, **form.values())
        elif isinstance(instance, Criterion):
            items.criterion_update(criterion=instance, user=user, **form.values())
        elif kind == "area":
            items.area_create(study=study, user=user, **form.values())
        else:
            items.criterion_create(study=study, user=user, **form.values())
    except ServiceError as exc:
        return render_refused(request, template, context, form, exc)
    messages.success(request, _("Saved."))
    return redirect("study-items", study_uuid=study.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def area_create(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    return _item_form_page(request, study, kind="area", instance=None)


@login_required
@require_http_methods(["GET", "POST"])
def area_edit(request: HttpRequest, study_uuid: UUID, area_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    area = get_object_or_404(Area, study=study, uuid=area_uuid)
    return _item_form_page(request, study, kind="area", instance=area)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_create(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    return _item_form_page(request, study, kind="criterion", instance=None)


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, study_uuid: UUID, criterion_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    criterion = get_object_or_404(Criterion, study=study, uuid=criterion_uuid)
    return _item_form_page(request, study, kind="criterion", instance=criterion)


@login_required
@require_POST
def area_set_active(request: HttpRequest, study_uuid: UUID, area_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    area = get_object_or_404(Area, study=study, uuid=area_uuid)
    active = request.POST.get("active") == "1"
    items.area_set_active(area=area, user=_user(request), active=active)
    messages.success(request, _("The area is asked again.") if active else _("The area was retired; its ratings stay."))
    return redirect("study-items", study_uuid=study.uuid)


@login_required
@require_POST
def criterion_set_active(request: HttpRequest, study_uuid: UUID, criterion_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    criterion = get_object_or_404(Criterion, study=study, uuid=criterion_uuid)
    active = request.POST.get("active") == "1"
    items.criterion_set_active(criterion=criterion, user=_user(request), active=active)
    messages.success(
        request, _("The criterion is asked again.") if active else _("The criterion was retired; its ratings stay.")
    )
    return redirect("study-items", study_uuid=study.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def items_import(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "elicitation/setup/items_import.html"
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"study": study, "columns": imports.ITEM_COLUMNS, "optional": imports.ITEM_OPTIONAL}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        areas, criteria = imports.items_import(study=study, user=_user(request), data=form.read())
    except ServiceError as exc:
        return render_refused(request, template, context, form, exc)
    messages.success(
        request,
        _("Imported %(areas)d areas and %(criteria)d criteria.") % {"areas": len(areas), "criteria": len(criteria)},
    )
    return redirect("study-items", study_uuid=study.uuid)
