"""The coordinator's EXCALIBUR import and export pages (``quantities.exchange.cases``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.access import study_for_coordinator, study_for_member
from core.errors import ServiceError
from elicitation.models import Capability, Round
from elicitation.setup.views.common import render_invalid, render_refused
from quantities.exchange.cases import case_export, case_import
from quantities.setup.forms import CaseImportForm


@login_required
@require_http_methods(["GET", "POST"])
def case_import_page(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    template = "quantities/setup/import.html"
    form = CaseImportForm(request.POST or None, request.FILES or None, study=study)
    context: dict[str, Any] = {"study": study, "rounds": list(study.rounds.all())}
    if request.method != "POST":
        return render(request, template, {**context, "form": form})
    if not form.is_valid():
        return render_invalid(request, template, context, form)
    data = form.cleaned_data
    try:
        case = case_import(
            study=study, round_=data["round"], area=data["area"], user=request.user,
            dtt=data["dtt"].read(), rls=data["rls"].read(), bloc=data["bloc"],
        )  # fmt: skip
    except ServiceError as error:
        return render_refused(request, template, context, form, error)
    message = _("Imported %(items)d questions and %(experts)d experts.") % {
        "items": len(case.items),
        "experts": len(case.experts),
    }
    messages.success(request, message)
    return redirect("quantity-list", study_uuid=study.uuid)


@login_required
@require_GET
def case_export_file(request: HttpRequest, study_uuid: UUID, round_number: int, kind: str) -> HttpResponse:
    """``kind`` is "dtt" or "rls": one file of the round's case, downloaded (an export: analysts too)."""
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    if kind not in ("dtt", "rls"):
        raise Http404
    round_ = get_object_or_404(Round, study=study, number=round_number)
    files = case_export(study=study, round_=round_, user=request.user)
    response = HttpResponse(getattr(files, kind), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="study-{study.uuid}-round-{round_number}.{kind}"'
    return response
