"""The coordinator's quantity results page per round, with its data tables as CSV downloads."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.access import study_for_member
from core.audit import audit
from elicitation.models import Capability, Round
from quantities.results.selectors import SCATTER, WIDTH, results_csv, round_quantities


@login_required
@require_GET
def results_page(request: HttpRequest, study_uuid: UUID, round_number: int) -> HttpResponse:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    round_ = get_object_or_404(Round, study=study, number=round_number)
    context = {
        "study": study,
        "round": round_,
        "rounds": list(study.rounds.all()),
        "data": round_quantities(study, round_),
        "width": WIDTH,
        "scatter_size": SCATTER,
    }
    return render(request, "quantities/setup/results.html", context)


@login_required
@require_GET
def results_download(request: HttpRequest, study_uuid: UUID, round_number: int, quantity_table: str) -> HttpResponse:
    study = study_for_member(request.user, study_uuid, needs=Capability.RESULTS)
    table = quantity_table
    if table not in ("pooled", "experts"):
        raise Http404
    round_ = get_object_or_404(Round, study=study, number=round_number)
    text = results_csv(round_quantities(study, round_), table)
    audit(
        action="quantity.results_downloaded",
        study=study,
        user=request.user,
        target=f"round {round_number}",
        table=table,
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quantities-{table}-round-{round_number}.csv"'
    return response
