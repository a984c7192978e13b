"""The results summary at a study's end: the coordinator's preview and sending, and the expert's own page.

The coordinator's page lives with the expert's pages because the summary is the expert's feedback
(``elicitation.expert.summary``), which the rounds pages stand below and cannot read.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.expert.services.results_summary import (
    results_summary_preview,
    results_summary_recipients,
    results_summary_send,
)
from elicitation.expert.session import expert_context, expert_required
from elicitation.expert.summary import final_round, results_summary, summary_sent_to, took_part
from elicitation.models import Expert
from elicitation.setup.services.translations import language_name


@login_required
@require_http_methods(["GET", "POST"])
def study_results_summary(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """Preview the summary in each of the study's languages, then send it (explicitly confirmed)."""
    study = study_for_coordinator(request.user, study_uuid)
    url = reverse("study-results-summary", kwargs={"study_uuid": study.uuid})
    error, status = "", 200
    if request.method == "POST":
        resend = request.POST.get("resend") == "yes"
        if request.POST.get("confirm") != "yes":
            error, status = _("Tick the box to confirm the sending."), 400
        else:
            try:
                queued = results_summary_send(study=study, user=request.user, resend=resend)
            except ServiceError as refused:
                error, status = refused.message, refused.status_code
            else:
                messages.success(
                    request,
                    ngettext(
                        "The summary is on its way to %(n)d expert.",
                        "The summary is on its way to %(n)d experts.",
                        queued,
                    )
                    % {"n": queued},
                )
                return redirect(url)
    language = request.GET.get("language", "")
    if language not in (study.languages or []):
        language = study.default_language
    took_part_count = len(took_part(study))
    context = {
        "study": study,
        "final_round": final_round(study),
        "email": results_summary_preview(study=study, language=language),
        "language": language,
        "language_name": language_name(language),
        "languages": [(code, language_name(code)) for code in study.languages or []],
        "took_part": took_part_count,
        "waiting": len(results_summary_recipients(study)),
        "error": error,
    }
    return render(request, "elicitation/expert/results_summary_send.html", context, status=status)


@require_GET
@expert_required
def expert_results_summary(request: HttpRequest, expert: Expert) -> HttpResponse:
    """The summary the expert was e-mailed, on the site: once it was sent to them, and while no round is open."""
    round_ = final_round(expert.study)
    if round_ is None or not summary_sent_to(expert):
        return redirect("expert-round")
    summary = results_summary(round_=round_, expert=expert, language=translation.get_language())
    return render(request, "elicitation/expert/results_summary.html", expert_context(expert, summary=summary))
