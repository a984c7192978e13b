"""The coordinator's panel pages: list, add, edit, deactivate, reactivate, CSV import."""

from __future__ import annotations

import csv
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Expert
from elicitation.setup.forms import ExpertForm, ImportForm
from elicitation.setup.selectors import panel_counts
from elicitation.setup.services import imports, panel
from elicitation.setup.views.common import render_invalid, render_refused


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def panel_list(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    experts = list(study.experts.order_by("number"))
    # Strict anonymity: names without pseudonyms, so no page joins a person to the pseudonym of any row
    context = {"study": study, "experts": experts, "counts": panel_counts(study), "strict": study.anonymity == "strict"}
    return render(request, "elicitation/setup/panel.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def expert_form(request: HttpRequest, study_uuid: UUID, expert_uuid: UUID | None = None) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    expert = get_object_or_404(Expert, study=study, uuid=expert_uuid) if expert_uuid else None
    template = "elicitation/setup/expert_form.html"
    form = ExpertForm(request.POST or None, study=study, expert=expert)
    context: dict[str, Any] = {"study": study, "expert": expert}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        if expert is None:
            saved = panel.expert_add(study=study, user=_user(request), **form.values())
        else:
            saved = panel.expert_update(expert=expert, user=_user(request), **form.values())
    except ServiceError as exc:
        return render_refused(request, template, context, form, exc)
    messages.success(request, _("%(pseudonym)s was saved.") % {"pseudonym": saved.coordinator_label})
    return redirect("study-panel", study_uuid=study.uuid)


@login_required
@require_POST
def expert_set_active(request: HttpRequest, study_uuid: UUID, expert_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    expert = get_object_or_404(Expert, study=study, uuid=expert_uuid)
    try:
        if request.POST.get("active") == "1":
            panel.expert_reactivate(expert=expert, user=_user(request))
            done = _("%(p)s is back on the panel; send a new invitation.")
            messages.success(request, done % {"p": expert.coordinator_label})
        else:
            panel.expert_deactivate(expert=expert, user=_user(request))
            done = _("%(p)s was deactivated; their links no longer work.")
            messages.success(request, done % {"p": expert.coordinator_label})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("study-panel", study_uuid=study.uuid)


@login_required
@require_GET
def panel_import_example(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """A CSV with this study's columns and one example row, to fill in a spreadsheet."""
    study = study_for_coordinator(request.user, study_uuid)
    codes = list(study.areas.filter(is_active=True).values_list("code", flat=True))
    header = [*imports.EXPERT_COLUMNS, *(f"{imports.EXPERTISE_PREFIX}{code}" for code in codes)]
    example = ["expert@example.org", "Ada Lovelace", study.blocs[0] if study.blocs else "", "", study.default_language]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="panel.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerow(example + ["" for _code in codes])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def panel_import(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "elicitation/setup/panel_import.html"
    form = ImportForm(request.POST or None, request.FILES or None)
    area_codes = list(study.areas.filter(is_active=True).values_list("code", flat=True))
    context = {
        "study": study,
        "columns": imports.EXPERT_COLUMNS,
        "expertise_columns": [f"{imports.EXPERTISE_PREFIX}{code}" for code in area_codes],
        "max_rows": imports.MAX_EXPERT_ROWS,
        "max_bytes": imports.MAX_IMPORT_BYTES,
    }
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    try:
        experts = imports.experts_import(study=study, user=_user(request), data=form.read())
    except ServiceError as exc:
        return render_refused(request, template, context, form, exc)
    messages.success(request, _("Imported %(n)d experts.") % {"n": len(experts)})
    return redirect("study-panel", study_uuid=study.uuid)
