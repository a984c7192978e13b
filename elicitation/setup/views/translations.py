"""The coordinator's translations page: which text lacks a language or is stale, and confirming a stale one."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.setup.services.translations import expert_languages, language_name, text_confirm, text_table


@login_required
@require_GET
def translations_status(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    rows = text_table(study)
    context = {
        "study": study,
        "rows": rows,
        "languages": [(code, language_name(code)) for code in study.languages or []],
        "expert_languages": [language_name(code) for code in expert_languages(study)],
        "incomplete": sum(not row.complete for row in rows),
    }
    return render(request, "elicitation/setup/translations.html", context)


@login_required
@require_POST
def translation_confirm(request: HttpRequest, study_uuid: UUID) -> HttpResponse:
    """Confirm that a stale language's wording still matches: the coordinator has checked it."""
    study = study_for_coordinator(request.user, study_uuid)
    try:
        owner_id = int(request.POST.get("owner", ""))
    except ValueError:
        owner_id = 0
    try:
        text_confirm(
            study=study,
            kind=request.POST.get("kind", ""),
            owner_id=owner_id,
            key=request.POST.get("key", ""),
            language=request.POST.get("language", ""),
            user=request.user,
        )
    except ServiceError as error:
        context = {"study": study, "rows": text_table(study), "error": error.message, "languages": []}
        context["languages"] = [(code, language_name(code)) for code in study.languages or []]
        return render(request, "elicitation/setup/translations.html", context, status=error.status_code)
    messages.success(request, _("Confirmed: this wording still matches."))
    return redirect("study-translations", study_uuid=study.uuid)
